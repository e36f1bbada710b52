#!/usr/bin/env node
// Committed so npm can link the bin at install time, before dist/ is built.
import "../dist/main.js";
