import { stepUp } from "@/lib/step-up";

// POST, Authorization: Bearer <session_token> → a code to the account's number.
export const POST = stepUp.send;
