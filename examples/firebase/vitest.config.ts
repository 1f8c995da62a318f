import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** test/demo.test.ts stops the shared stack (Ctrl-C), so it runs after every other file. */
class DemoLast extends BaseSequencer {
  override async sort(files: TestSpecification[]) {
    const sorted = await super.sort(files);
    const last = (file: TestSpecification) => (file.moduleId.endsWith("/demo.test.ts") ? 1 : 0);
    return sorted.sort((a, b) => last(a) - last(b));
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // One emulator stack serves every file, one file at a time (and demo.test.ts last).
    fileParallelism: false,
    sequence: { sequencer: DemoLast },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { METADATA_SERVER_DETECTION: "none", GCLOUD_PROJECT: "demo-test" },
  },
});
