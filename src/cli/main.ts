#!/usr/bin/env node
console.log('vigil');
