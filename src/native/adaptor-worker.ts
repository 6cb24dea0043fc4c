/**
 * Worker-thread entry of the adaptor-signature pool (`adaptor-pool.ts`): creates or verifies a
 * chunk of adaptor signatures with the requested backend and posts the results back in order.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { ecdsaAdaptor, type AdaptorBackendName } from './ecdsa-adaptor.ts';

/** One CET to sign: its adaptor point and sighash, and the nonce's aux randomness. */
export interface EncryptJob {
  readonly encryptionKey: Uint8Array;
  readonly msgHash: Uint8Array;
  /** 32 bytes; drawn fresh (in the calling thread) when absent. */
  readonly auxRand?: Uint8Array;
}

/** One counterparty adaptor signature to verify against its adaptor point and sighash. */
export interface VerifyJob {
  readonly adaptorSig: Uint8Array;
  readonly encryptionKey: Uint8Array;
  readonly msgHash: Uint8Array;
}

/** A chunk of work posted to a worker (`id` pairs it with its response). */
export type WorkerRequest = { readonly id: number; readonly backend: AdaptorBackendName } & (
  | {
      readonly kind: 'encrypt';
      readonly secretKey: Uint8Array;
      readonly jobs: readonly (EncryptJob & { readonly auxRand: Uint8Array })[];
    }
  | { readonly kind: 'verify'; readonly publicKey: Uint8Array; readonly jobs: readonly VerifyJob[] }
);

/**
 * A worker's answer: the results in job order, or the error the chunk raised; `ready` once, when
 * the worker has loaded (the pool gives work only to workers that have).
 */
export type WorkerResponse =
  | { readonly ready: true }
  | { readonly id: number; readonly ok: true; readonly result: Uint8Array[] | boolean[] }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string };

/** Runs one request in this thread: the worker's whole job. */
function handleRequest(req: WorkerRequest): Uint8Array[] | boolean[] {
  const scheme = ecdsaAdaptor(req.backend);
  if (req.kind === 'encrypt') return scheme.adaptorEncryptMany(req.secretKey, req.jobs);
  return scheme.adaptorVerifyMany(req.publicKey, req.jobs);
}

const port = parentPort;
if (port) {
  port.on('message', (req: WorkerRequest) => {
    let res: WorkerResponse;
    try {
      res = { id: req.id, ok: true, result: handleRequest(req) };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      res = { id: req.id, ok: false, name: err.name, message: err.message };
    }
    port.postMessage(res);
  });
  port.postMessage({ ready: true } satisfies WorkerResponse);
}
