export { storeFromEnv, type StoreFromEnv } from "./store-from-env.js";
