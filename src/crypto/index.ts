/**
 * `verdict/crypto`: oracle keys and nonces, tagged hashes, BIP340 attestations, ECDSA adaptor
 * signatures (pure JS), the attestation points of outcomes, and the encrypted keystore format.
 * Pure (no I/O, no clock) except `keystore.ts`, which uses `node:crypto` for scrypt and AES-GCM.
 */
export * from './attestation-points.ts';
export * from './bip340.ts';
export * from './errors.ts';
export * from './hash.ts';
export * from './keystore.ts';
export * from './nonces.ts';
export * from './oracle-keys.ts';
export * from './secp.ts';
export {
  ADAPTOR_SIGNATURE_LENGTH,
  adaptorDecrypt,
  adaptorEncrypt,
  adaptorEncryptMany,
  adaptorRecover,
  adaptorVerifier,
  adaptorVerify,
  adaptorVerifyMany,
  createEcdsaAdaptor,
  InvalidAdaptorSignatureError,
  nobleEcdsaAdaptor,
  noblePointOps,
  parseAdaptorSignature,
  PREPARE_SIGNER_KEY_AFTER,
  serializeAdaptorSignature,
  type EcdsaAdaptor,
  type InvalidAdaptorSignatureReason,
  type ParsedAdaptorSignature,
  type PointOps,
} from './ecdsa-adaptor.ts';
