import { preset } from "../../tsup.preset";

export default preset({ entry: ["src/index.ts", "src/store.ts"], platform: "node", target: "node20" });
