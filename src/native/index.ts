/**
 * `verdict/native`: the optional libsecp256k1 backend of the ECDSA adaptor scheme and a worker
 * pool for many adaptor signatures. Node only; `ecdsaAdaptor()` falls back to pure JS when the
 * addon does not load.
 */
export * from './ecdsa-adaptor.ts';
export * from './adaptor-pool.ts';
