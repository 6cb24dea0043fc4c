// Verdict's DLC library: oracle cryptography, wire formats, contracts and transactions.
export {};
