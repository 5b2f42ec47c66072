// Baken — proof-of-work solver, run in a Web Worker so the page stays responsive on a cheap phone.
// Finds the number n in [0, maxnumber] with SHA-256(salt + n) === challenge (docs/protocol.md).
// The same loop runs in the page itself (pow.js) where workers are not available.
"use strict";

const BATCH = 256;

function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

function equal(buffer, target) {
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < target.length; i += 1) if (bytes[i] !== target[i]) return false;
  return true;
}

async function solve(challenge, salt, maxnumber) {
  const target = hexToBytes(challenge);
  const encoder = new TextEncoder();
  for (let start = 0; start <= maxnumber; start += BATCH) {
    const end = Math.min(start + BATCH - 1, maxnumber);
    const digests = [];
    for (let n = start; n <= end; n += 1) {
      digests.push(crypto.subtle.digest("SHA-256", encoder.encode(salt + n)));
    }
    const results = await Promise.all(digests);
    for (let i = 0; i < results.length; i += 1) if (equal(results[i], target)) return start + i;
  }
  return null;
}

self.onmessage = async (event) => {
  const { challenge, salt, maxnumber } = event.data || {};
  try {
    self.postMessage({ number: await solve(challenge, salt, maxnumber) });
  } catch {
    self.postMessage({ number: null });
  }
};
