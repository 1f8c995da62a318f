"use client";

import { parseError, parseSendReply, type WireError } from "@otpkit/otp-core/protocol";
import { CodeInput, errorMessage, OtpStyles, ResendButton } from "@otpkit/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

interface Continue {
  continue_url: string;
  continue_fields: Record<string, string>;
}

/**
 * Texts a code to the account's number (the server reads both from the session token), checks
 * it, then POSTs the signed answer to Auth0's /continue, as Auth0 recommends.
 */
export function VerifyForm({ sessionToken, state }: { sessionToken: string; state: string }) {
  const headers = useMemo(
    () => ({ authorization: `Bearer ${sessionToken}`, "content-type": "application/json" }),
    [sessionToken],
  );
  const [sent, setSent] = useState<{ masked: string; resendAt: string } | null>(null);
  const [error, setError] = useState<WireError | undefined>();
  const [pending, setPending] = useState(false);
  const [answer, setAnswer] = useState<Continue | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const started = useRef(false);

  const send = useCallback(async () => {
    setPending(true);
    setError(undefined);
    try {
      const response = await fetch("/api/step-up/send", { method: "POST", headers, body: "{}" });
      const json = await response.json().catch(() => null);
      if (!response.ok)
        return setError(parseError(json, response.status, response.headers.get("retry-after")));
      const reply = parseSendReply(json);
      if (reply) setSent({ masked: reply.masked_phone, resendAt: reply.resend_available_at });
    } catch {
      setError({ code: "internal_error", message: "network" });
    } finally {
      setPending(false);
    }
  }, [headers]);

  useEffect(() => {
    // Once per page: keep the token out of the history and the address bar from now on.
    if (started.current) return;
    started.current = true;
    window.history.replaceState(null, "", "/verify");
    void send();
  }, [send]);

  async function check(code: string) {
    setPending(true);
    setError(undefined);
    try {
      const response = await fetch("/api/step-up/check", {
        method: "POST",
        headers: { ...headers, "x-auth0-state": state },
        body: JSON.stringify({ code }),
      });
      const json = await response.json().catch(() => null);
      if (!response.ok)
        return setError(parseError(json, response.status, response.headers.get("retry-after")));
      setAnswer(json as Continue);
    } catch {
      setError({ code: "internal_error", message: "network" });
    } finally {
      setPending(false);
    }
  }

  // The answer goes back to Auth0 as a form POST (a top-level navigation carrying Auth0's cookies).
  useEffect(() => {
    if (answer) form.current?.submit();
  }, [answer]);

  return (
    <>
      <OtpStyles />
      <h1>Check your phone</h1>
      <p>{sent ? `We texted a code to ${sent.masked}.` : "Sending a code to the number on your account…"}</p>
      <CodeInput onComplete={check} disabled={pending || answer !== null} autoFocus error={error} />
      {error && !sent ? <p role="alert">{errorMessage(error)}</p> : null}
      <ResendButton availableAt={sent?.resendAt} onResend={send} pending={pending} />
      {answer ? (
        <form ref={form} method="post" action={answer.continue_url}>
          {Object.entries(answer.continue_fields).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          <noscript>
            <button type="submit">Continue</button>
          </noscript>
        </form>
      ) : null}
    </>
  );
}
