/**
 * SHA-256 (FIPS 180-4, section 6.2) in plain TypeScript, for hosts without a synchronous
 * hash (a browser: crypto.subtle.digest returns a promise). The message is read in 64-byte
 * blocks straight from the parts, so a 4 MB checkpoint is never copied.
 */

/** The round constants: the first 32 bits of the fractional parts of the cube roots of the first 64 primes (sec. 4.2.2). */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** The initial hash value: the first 32 bits of the fractional parts of the square roots of the first 8 primes (sec. 5.3.3). */
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/** One compression of the 64-byte block at `block[at..at+64)` into the state `h` (sec. 6.2.2). */
function compress(h: Uint32Array, w: Uint32Array, block: Uint8Array, at: number): void {
  for (let t = 0; t < 16; t++) {
    const i = at + 4 * t;
    w[t] = (block[i] << 24) | (block[i + 1] << 16) | (block[i + 2] << 8) | block[i + 3];
  }
  for (let t = 16; t < 64; t++) {
    const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
    const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
    w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
  }
  let [a, b, c, d, e, f, g, k] = h;
  for (let t = 0; t < 64; t++) {
    const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

/** The SHA-256 of the concatenated parts, as 64 lowercase hex digits. */
export function sha256(parts: readonly Uint8Array[]): string {
  const h = Uint32Array.from(H0);
  const w = new Uint32Array(64);
  const pending = new Uint8Array(64); // a block that straddles parts
  let filled = 0;
  let length = 0;
  for (const part of parts) {
    length += part.length;
    let i = 0;
    if (filled > 0) {
      const take = Math.min(64 - filled, part.length);
      pending.set(part.subarray(0, take), filled);
      filled += take;
      i = take;
      if (filled < 64) continue;
      compress(h, w, pending, 0);
      filled = 0;
    }
    for (; i + 64 <= part.length; i += 64) compress(h, w, part, i);
    pending.set(part.subarray(i), 0);
    filled = part.length - i;
  }
  // Padding (sec. 5.1.1): a 1 bit, zeros, and the message length in bits as a 64-bit big-endian integer.
  const tail = new Uint8Array(filled < 56 ? 64 : 128);
  tail.set(pending.subarray(0, filled));
  tail[filled] = 0x80;
  const view = new DataView(tail.buffer);
  view.setUint32(tail.length - 8, Math.floor(length / 0x20000000), false);
  view.setUint32(tail.length - 4, (length * 8) >>> 0, false);
  for (let at = 0; at < tail.length; at += 64) compress(h, w, tail, at);
  return Array.from(h, (x) => x.toString(16).padStart(8, '0')).join('');
}
