/**
 * A unit-test double of the four Firebase Admin Auth calls the callables make, with the Admin
 * SDK's own error class and codes (`auth/phone-number-already-exists`, `auth/user-not-found`).
 * The real Auth emulator runs in examples/firebase's platform tests; this one lets a unit test
 * fail a call on purpose and see exactly what was asked.
 */
import { AuthClientErrorCode, FirebaseAuthError, type UserRecord } from "firebase-admin/auth";

type Failure = Error | undefined;

export function adminAuth() {
  const users = new Map<string, { uid: string; phoneNumber?: string; disabled: boolean }>();
  const calls: Array<[string, ...unknown[]]> = [];
  const fail: Partial<
    Record<"updateUser" | "getUserByPhoneNumber" | "createUser" | "createCustomToken", Failure>
  > = {};
  // The Admin SDK's error constructor is not in its public types.
  const authError = (info: unknown) => new (FirebaseAuthError as any)(info) as Error;
  const byPhone = (phone: string) => [...users.values()].find((user) => user.phoneNumber === phone);
  const record = (user: { uid: string; phoneNumber?: string; disabled: boolean }) =>
    ({ ...user, providerData: [] }) as unknown as UserRecord;
  let counter = 0;

  return {
    users,
    calls,
    fail,
    /** An account, as `createUser` would make it. */
    add(uid: string, fields: { phoneNumber?: string; disabled?: boolean } = {}) {
      users.set(uid, { uid, disabled: false, ...fields });
    },
    async updateUser(uid: string, properties: { phoneNumber?: string | null }) {
      calls.push(["updateUser", uid, properties]);
      if (fail.updateUser) throw fail.updateUser;
      const user = users.get(uid);
      if (!user) throw authError(AuthClientErrorCode.USER_NOT_FOUND);
      const owner = properties.phoneNumber ? byPhone(properties.phoneNumber) : undefined;
      if (owner && owner.uid !== uid) throw authError(AuthClientErrorCode.PHONE_NUMBER_ALREADY_EXISTS);
      user.phoneNumber = properties.phoneNumber ?? undefined;
      return record(user);
    },
    async getUserByPhoneNumber(phone: string) {
      calls.push(["getUserByPhoneNumber", phone]);
      if (fail.getUserByPhoneNumber) throw fail.getUserByPhoneNumber;
      const user = byPhone(phone);
      if (!user) throw authError(AuthClientErrorCode.USER_NOT_FOUND);
      return record(user);
    },
    async createUser(properties: { phoneNumber: string }) {
      calls.push(["createUser", properties]);
      if (fail.createUser) throw fail.createUser;
      if (byPhone(properties.phoneNumber)) throw authError(AuthClientErrorCode.PHONE_NUMBER_ALREADY_EXISTS);
      const user = { uid: `user${++counter}`, phoneNumber: properties.phoneNumber, disabled: false };
      users.set(user.uid, user);
      return record(user);
    },
    async createCustomToken(uid: string, claims?: object) {
      calls.push(["createCustomToken", uid, claims]);
      if (fail.createCustomToken) throw fail.createCustomToken;
      return `token-for-${uid}`;
    },
    authError,
    codes: AuthClientErrorCode,
  };
}
