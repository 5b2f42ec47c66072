// Baken — the proof-of-work a visitor's browser does before a chat starts (issue 5; docs/protocol.md).
// GET /api/visitor/challenge, find the hidden number (in a Web Worker, or here in small chunks),
// and send {algorithm, challenge, number, salt, signature} as `pow` with the start or return.
// It starts in the background when the page opens, so usually it is done before the tap.

const BATCH = 128;
// A solution is fetched again when it would expire within this margin.
const MARGIN_MS = 60_000;

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

/** The same loop as pow_worker.js, yielding to the page between chunks. */
async function solveHere(challenge, salt, maxnumber) {
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
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return null;
}

function solveInWorker(challenge, salt, maxnumber) {
  return new Promise((resolve, reject) => {
    let worker;
    try {
      worker = new Worker(new URL("./pow_worker.js", import.meta.url));
    } catch (error) {
      reject(error);
      return;
    }
    worker.onmessage = (event) => {
      worker.terminate();
      resolve(event.data ? event.data.number : null);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error("worker failed"));
    };
    worker.postMessage({ challenge, salt, maxnumber });
  });
}

/** Find the number of one challenge; null when none fits (a broken challenge). */
export async function solveChallenge(data) {
  try {
    return await solveInWorker(data.challenge, data.salt, data.maxnumber);
  } catch {
    return solveHere(data.challenge, data.salt, data.maxnumber);
  }
}

function expiresAt(salt) {
  const match = /[?&]expires=(\d+)/.exec(salt || "");
  return match ? Number(match[1]) * 1000 : 0;
}

/** Fetch and solve a challenge; the `pow` object to send, or null when it cannot be done. */
export async function fetchProof() {
  if (!(globalThis.crypto && crypto.subtle)) return null; // not a secure context
  const response = await fetch("/api/visitor/challenge", {
    credentials: "same-origin",
    cache: "no-store",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) return null;
  const data = await response.json();
  const number = await solveChallenge(data);
  if (number === null) return null;
  return {
    algorithm: data.algorithm,
    challenge: data.challenge,
    number,
    salt: data.salt,
    signature: data.signature,
  };
}

/** One solution kept ready in the background; each `take()` hands it out once. */
export class ProofOfWork {
  constructor() {
    this.pending = null;
  }

  prepare() {
    if (!this.pending) this.pending = fetchProof().catch(() => null);
    return this.pending;
  }

  async take() {
    let proof = await this.prepare();
    this.pending = null;
    if (proof && expiresAt(proof.salt) - Date.now() < MARGIN_MS) proof = null;
    if (!proof) proof = await fetchProof().catch(() => null);
    return proof;
  }
}
