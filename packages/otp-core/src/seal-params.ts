/**
 * HKDF parameters of the record sealing key: fixed, public, and shared by both crypto variants
 * (their own file, because the Node build redirects every import of `./crypto.js`).
 */
export const sealSalt = "otpkit";
export const sealInfo = "otpkit record data v1";
