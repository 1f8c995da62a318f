import type { CallableRequest } from "firebase-functions/v2/https";

/**
 * A callable request as `onCall` hands it to the handler (firebase-functions' documented
 * `CallableRequest`): `auth` only when the caller sent a valid ID token, `rawRequest` the Express
 * request (its `ip` as Cloud Functions' framework computes it).
 */
export function callableRequest(
  data: unknown,
  options: { uid?: string; ip?: string; app?: CallableRequest["app"] } = {},
): CallableRequest {
  const request = {
    data,
    rawRequest: { ip: options.ip ?? "203.0.113.10", headers: {} },
    acceptsStreaming: false,
  } as unknown as CallableRequest;
  if (options.uid)
    request.auth = {
      uid: options.uid,
      token: { uid: options.uid } as never,
      rawToken: `id-token-${options.uid}`,
    };
  if (options.app) request.app = options.app;
  return request;
}

/** What a callable threw, as the client's SDK would see it: code, HTTP status, message, details. */
export async function refusedWith(promise: Promise<unknown>) {
  const error = await promise.then(
    () => {
      throw new Error("expected the callable to refuse");
    },
    (caught: unknown) =>
      caught as { code: string; message: string; details: any; httpErrorCode: { status: number } },
  );
  return {
    code: error.code,
    status: error.httpErrorCode.status,
    message: error.message,
    details: error.details,
  };
}
