import { vitestPreset } from "../../vitest.preset";

export default vitestPreset({
  globalSetup: ["test/global-setup.ts"],
  // Contended Firestore transactions back off for seconds (the SDK's retry policy).
  testTimeout: 120_000,
  hookTimeout: 120_000,
  env: { METADATA_SERVER_DETECTION: "none", GCLOUD_PROJECT: "demo-test" },
});
