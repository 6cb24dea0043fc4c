/**
 * Named protocol errors of the oracle cryptography. Each has a stable `code` (STYLE.md "Errors are
 * typed and honest"); bad argument types and ranges use the built-in TypeError / RangeError.
 */

/** The mnemonic is not a valid 24-word BIP39 English mnemonic. */
export class InvalidMnemonicError extends Error {
  readonly code = 'invalid_mnemonic';
  constructor(message = 'invalid BIP39 mnemonic') {
    super(message);
    this.name = 'InvalidMnemonicError';
  }
}

/** The keystore opened structurally, but the passphrase does not decrypt it. */
export class WrongPassphraseError extends Error {
  readonly code = 'wrong_passphrase';
  constructor(message = 'wrong keystore passphrase') {
    super(message);
    this.name = 'WrongPassphraseError';
  }
}

/** The keystore file is not a version-1 Verdict keystore or its contents are damaged. */
export class CorruptKeystoreError extends Error {
  readonly code = 'corrupt_keystore';
  constructor(message: string) {
    super(message);
    this.name = 'CorruptKeystoreError';
  }
}
