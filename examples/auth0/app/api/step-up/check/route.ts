import { stepUp } from "@/lib/step-up";

// POST {code}, Authorization: Bearer <session_token>, X-Auth0-State: <state>
// → { continue_url, continue_fields } to POST back to Auth0.
export const POST = stepUp.check;
