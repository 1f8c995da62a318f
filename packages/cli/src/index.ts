export { CliError, listen, nodeListener, toWebRequest, writeWebResponse } from "./node-http.js";
export {
  checkFaults,
  type MessageState,
  type MessageStatus,
  type Sandbox,
  type SandboxFaults,
  type SandboxMessage,
  type SandboxOptions,
  startSandbox,
} from "./sandbox.js";
export {
  type Env,
  type Log,
  type OtpServer,
  parseApiKeys,
  type ServerOptions,
  startServer,
} from "./serve.js";
export { type StoreFromEnv, storeFromEnv } from "./store-from-env.js";
