import { vitestPreset } from "../../vitest.preset";

export default vitestPreset({ testTimeout: 60_000, hookTimeout: 60_000 });
