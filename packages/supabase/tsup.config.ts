import { preset } from "../../tsup.preset";

// Platform-neutral on purpose: the same bundle runs on Deno (Supabase Edge Functions) and Node.
export default preset({ entry: ["src/index.ts"] });
