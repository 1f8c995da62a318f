/**
 * Reading a request body as one JSON object, the same for every transport: media type first,
 * then the declared size, then the bytes (capped while streaming), then strict UTF-8 and JSON.
 */
import { invalid, isOtpError, OtpError } from "./errors.js";

/** Keys that must never become properties: dropped wherever they appear in a body. */
const pollutingKeys = new Set(["__proto__", "constructor", "prototype"]);

export const tooLarge = (maxBytes: number): OtpError =>
  new OtpError("payload_too_large", `The body is larger than ${maxBytes} bytes.`);

/** Refuses anything but JSON (`application/json` or `+json`, UTF-8). */
export function checkJsonMediaType(contentType: string | null | undefined): void {
  // The two spellings nearly every client sends, accepted without parsing parameters.
  if (contentType === "application/json" || contentType === "application/json; charset=utf-8") return;
  const [mediaType = "", ...parameters] = (contentType ?? "").split(";");
  const charset = parameters
    .map((parameter) => /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(parameter)?.[1]?.toLowerCase())
    .find((value) => value !== undefined);
  if (
    !/^application\/([\w.-]+\+)?json$/i.test(mediaType.trim()) ||
    (charset !== undefined && charset !== "utf-8" && charset !== "utf8")
  ) {
    throw new OtpError("unsupported_media_type", "Send the body as JSON (Content-Type: application/json).");
  }
}

/** A declared Content-Length over the cap is refused before a byte is read. */
export function checkDeclaredLength(contentLength: string | null | undefined, maxBytes: number): void {
  if (contentLength != null && Number(contentLength) > maxBytes) throw tooLarge(maxBytes);
}

/**
 * fatal: invalid UTF-8 is refused rather than silently turned into U+FFFD. One decoder for every
 * request: constructing one costs more than decoding a body, and a non-streaming decode keeps no
 * state between calls (a failed one included).
 */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Drops `__proto__`, `constructor` and `prototype` keys at every depth. */
const dropPolluting = (key: string, value: unknown) => (pollutingKeys.has(key) ? undefined : value);

/** Strict UTF-8, then JSON, then "an object": anything else is `invalid_request` on `body`. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    const text = strictUtf8.decode(bytes);
    // The reviver deletes `__proto__`, `constructor` and `prototype` keys at every depth, so
    // nothing downstream (metadata copies, Object.assign in user code) can meet them. A reviver
    // makes JSON.parse several times slower, and without an escape (`\`) a key can only spell one
    // of those names literally: text that contains none of them parses without it, to the same value.
    parsed =
      text.includes("\\") ||
      text.includes("__proto__") ||
      text.includes("constructor") ||
      text.includes("prototype")
        ? JSON.parse(text, dropPolluting)
        : JSON.parse(text);
  } catch {
    throw invalid("body", "The body is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw invalid("body", "The body must be a JSON object.");
  return parsed as Record<string, unknown>;
}

/** Collects chunks into one array, refusing as soon as they pass `maxBytes`. */
export class CappedBytes {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  constructor(private readonly maxBytes: number) {}

  /** Adds a chunk; throws `payload_too_large` once the cap is passed. */
  add(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    if (this.size > this.maxBytes) throw tooLarge(this.maxBytes);
    this.chunks.push(chunk);
  }

  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const bytes = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }
}

/** Streams a Web body and stops as soon as it passes the cap: a liar's Content-Length costs nothing. */
export async function readStreamAtMost(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const collected = new CappedBytes(maxBytes);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      collected.add(value);
    }
  } catch (error) {
    reader.cancel().catch(() => undefined);
    if (isOtpError(error)) throw error;
    throw invalid("body", "The body could not be read.");
  }
  return collected.bytes();
}
