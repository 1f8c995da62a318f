#!/usr/bin/env node
console.error("otpkit: commands are coming (sandbox, serve)");
process.exitCode = 1;
