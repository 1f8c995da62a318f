import { randomBytes } from "./crypto.js";
import { base64url } from "./encoding.js";

const digits = "0123456789";

/**
 * A code of `length` decimal digits from the CSPRNG. Each random byte below 250 yields one digit
 * (250 = 25 x 10, so `byte % 10` is exactly uniform); bytes 250-255 are rejected and redrawn.
 * Leading zeros are kept: "004217" is as likely as any other code.
 */
export function generateCode(length: number): string {
  let code = "";
  while (code.length < length) {
    // An index loop and a digit table: no iterator and no number-to-text conversion per digit.
    const bytes = randomBytes(length + 2);
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (byte < 250 && code.length < length) code += digits[byte % 10];
    }
  }
  return code;
}

/** `byteLength` random bytes as base64url: identifiers and magic-link tokens. */
export const randomToken = (byteLength: number): string => base64url(randomBytes(byteLength));
