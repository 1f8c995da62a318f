import { vitestPreset } from "../../vitest.preset";

export default vitestPreset({ environment: "jsdom", setupFiles: ["./vitest.setup.ts"] });
