/**
 * The audit trail: one event per outcome, for logs, metrics and alerts. Phones are masked
 * (`+1 ***-***-1234`), codes and tokens never appear, and a listener that throws changes nothing.
 */
import type { RateRuleName } from "./keys.js";
import type { Purpose } from "./message.js";
import type { OtpErrorCode } from "./protocol.js";

/** Why the guard refused (or, in monitor mode, would have refused) a send: its rule. */
export type BlockReason = "block_list" | "number_type" | "country" | "velocity" | "tripwire" | "spend";

export type OtpEvent =
  | {
      type: "sent";
      /** The verification id (`ver_…`), or the delivery id (`dlv_…`) of a code the platform made. */
      id: string;
      purpose: Purpose;
      phone: string;
      tenant?: string;
      ip?: string;
      /** A test number: nothing was sent. */
      test?: boolean;
      /** `deliver`: the platform made the code; otpkit stored nothing. */
      delivered?: boolean;
    }
  | {
      /** `deliver` with an idempotency key already claimed: nothing was sent again. */
      type: "duplicate";
      purpose: Purpose;
      phone: string;
      tenant?: string;
    }
  | { type: "verified"; id: string; purpose: Purpose; phone: string; tenant?: string }
  | {
      type: "failed";
      /** `invalid_code`, `expired`, `too_many_attempts`, `not_found` (verify) or the send's error code. */
      reason: OtpErrorCode;
      purpose: Purpose;
      phone?: string;
      id?: string;
      tenant?: string;
    }
  | {
      type: "limited";
      rule: RateRuleName;
      retryAfter: number;
      purpose: Purpose;
      phone: string;
      tenant?: string;
      ip?: string;
    }
  | {
      type: "blocked";
      reason: BlockReason;
      /** `monitor` mode: nothing was refused, the send went on. */
      monitor?: boolean;
      /** The masked number, when it parsed. */
      phone?: string;
      tenant?: string;
      ip?: string;
    };

export type EventListener = (event: OtpEvent) => void;

/** An emitter that never throws into the caller; `undefined` when nobody listens (no event objects built). */
export function eventEmitter(listener: EventListener | undefined): EventListener | undefined {
  if (!listener) return undefined;
  return (event) => {
    try {
      listener(event);
    } catch {
      // An audit hook must never turn a verification into a failure.
    }
  };
}
