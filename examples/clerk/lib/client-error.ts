import { parseError } from "@otpkit/otp-core/protocol";
import { OtpClientError } from "@otpkit/react";

/** An otpkit error reply (`{ error: { code, … } }`) as the error `OtpFlow` shows by its code. */
export async function errorFrom(response: Response): Promise<OtpClientError> {
  const error = parseError(
    await response.json().catch(() => null),
    response.status,
    response.headers.get("retry-after"),
  );
  return new OtpClientError({
    code: error.code,
    message: error.message,
    ...(error.retry_after !== undefined ? { retryAfter: error.retry_after } : {}),
    ...(error.attempts_left !== undefined ? { attemptsLeft: error.attempts_left } : {}),
  });
}
