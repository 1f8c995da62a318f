import { preset } from "../../tsup.preset";

export default preset({ entry: ["src/index.ts"], platform: "node", target: "node20" });
