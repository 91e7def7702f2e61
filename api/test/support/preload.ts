// Tests that start servers, hash passwords with argon2id or run property checks outlast bun's 5 s
// default on a loaded 2-core machine.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
