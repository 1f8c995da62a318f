import { preset } from "../../tsup.preset";

export default preset({
  entry: ["src/index.ts", "src/cli.ts"],
  dts: { entry: "src/index.ts" },
  target: "node20",
  platform: "node",
});
