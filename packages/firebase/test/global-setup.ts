/**
 * One Firestore emulator per test run, shared by every test file (a JVM start costs seconds).
 * Test files read its address with `inject("firestoreHost")`; `""` means it is not available here.
 */
import type { TestProject } from "vitest/node";
import { firestoreAvailable, type RunningEmulator, startFirestoreEmulator } from "./firestore-emulator";

declare module "vitest" {
  export interface ProvidedContext {
    firestoreHost: string;
  }
}

let emulator: RunningEmulator | undefined;

export async function setup(project: TestProject) {
  if (!firestoreAvailable()) return void project.provide("firestoreHost", "");
  emulator = await startFirestoreEmulator();
  console.log(`Firestore emulator ready on ${emulator.host} in ${emulator.startupMs} ms`);
  project.provide("firestoreHost", emulator.host);
}

export async function teardown() {
  await emulator?.stop();
}
