#!/usr/bin/env node
// A stable entry file so package managers can link the bin before `dist/` is built.
import "../dist/cli.js";
