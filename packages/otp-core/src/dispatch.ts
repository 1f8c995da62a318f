/**
 * The last stage of `send` and `deliver`: hand the composed message to the sender, and when that
 * fails, make the failure cost the person nothing it need not. A provider that definitely did not
 * take the message (an error answer, a refused connection) gives back every count keyed by the
 * phone or its range; an unknown outcome (a timeout: the SMS may still arrive) gives back only the
 * cooldown. Per-IP and global counts always stay, so a failing provider cannot be hammered.
 */
import type { Engine } from "./engine.js";
import { guard } from "./engine.js";
import { isOtpError, OtpError } from "./errors.js";
import type { SendBudget } from "./limits.js";
import type { Purpose } from "./message.js";
import { redact } from "./redact.js";
import { bounded, type SmsMessage } from "./senders.js";
import type { RateHit } from "./store.js";

export interface DispatchOptions {
  budget: SendBudget;
  /** The `now` the budget was counted at (what `release` removes). */
  now: number;
  /** What the message carries that nothing else may: the code, a magic-link token. Redacted from failures. */
  secrets: readonly string[];
  /** Other claims to give back on failure (an idempotency key). */
  alsoRelease?: RateHit[];
  /** Undo the send's own write (restore the previous code), run alongside the release. */
  undo?: () => Promise<unknown>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** For the `failed` event. */
  event: { purpose: Purpose; phone: string; id: string; tenant: string };
}

/** Sends `message`; returns the provider's message id, or throws the failure after giving back what it may. */
export async function dispatch(
  engine: Engine,
  message: SmsMessage,
  options: DispatchOptions,
): Promise<string> {
  const sender = engine.sender!;
  try {
    // Without a timeout or a signal there is nothing to bound: the sender is called as it is (a
    // bound function and an async frame less per send; a throw lands in this catch either way).
    const { id } =
      options.timeoutMs === undefined && !options.signal
        ? await sender.send(message)
        : await bounded(sender.send.bind(sender), message, options.timeoutMs, options.signal, sender.name);
    return id;
  } catch (error) {
    // Many gateways and SDKs quote the request in their errors — the SMS text, so the code. Scrub
    // the whole chain before anything (an onError logger, a platform's log) can print it.
    redact(error, options.secrets);
    const failure = isOtpError(error)
      ? error
      : new OtpError("send_failed", "The SMS could not be sent.", { cause: error });
    const { budget } = options;
    const giveBack = [
      ...(failure.notDelivered ? budget.refundable : []),
      ...budget.cooldown,
      ...(options.alsoRelease ?? []),
    ];
    // Best effort: if the store is down too, the person waits out the windows; the failure the
    // caller sees is still the provider's.
    await Promise.all([
      giveBack.length ? guard(() => engine.store.release(giveBack, options.now)).catch(() => undefined) : 0,
      options.undo?.().catch(() => undefined),
    ]);
    const { purpose, phone, id, tenant } = options.event;
    engine.emit?.({
      type: "failed",
      reason: failure.code,
      purpose,
      phone,
      id,
      ...(tenant ? { tenant } : {}),
    });
    throw failure;
  }
}
