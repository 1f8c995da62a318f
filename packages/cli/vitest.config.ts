import { vitestPreset } from "../../vitest.preset";

// Two cores: the files start real servers and child processes; two at a time is plenty.
export default vitestPreset({ maxWorkers: 2 });
