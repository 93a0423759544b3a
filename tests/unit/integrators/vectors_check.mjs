// Checks contracts/export/vectors.json with Node's built-in crypto only, from the rules as
// the AsyncAPI document states them: what an integrator outside Python would write.
// Usage: node vectors_check.mjs vectors.json   (exit 1 and one line per mismatch on stderr)
import { createHmac, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { readFileSync } from "node:fs";

const vectors = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];
const counts = { keys: 0, personKeys: 0, refused: 0, canonical: 0, signatures: 0, partitions: 0 };

// An Ed25519 seed wrapped as PKCS#8 (RFC 8410): the fixed DER prefix, then the 32 bytes.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const privateKeys = {};
for (const key of vectors.keys) {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, Buffer.from(key.seed_hex, "hex")]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const publicKey = spki.subarray(spki.length - 32).toString("base64");
  if (publicKey !== key.public_key) problems.push(`public key of ${key.name}`);
  privateKeys[key.name] = privateKey;
  counts.keys += 1;
}

// Normalization as documented: spaces off both ends, full-width digits and x folded.
const SPACES = " \t\n\r\u3000";
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function normalize(raw) {
  let start = 0;
  let end = raw.length;
  while (start < end && SPACES.includes(raw[start])) start += 1;
  while (end > start && SPACES.includes(raw[end - 1])) end -= 1;
  const folded = [...raw.slice(start, end)]
    .map((c) => {
      const code = c.codePointAt(0);
      if (code >= 0xff10 && code <= 0xff19) return String.fromCodePoint(code - 0xff10 + 48);
      return "Ｘｘx".includes(c) ? "X" : c;
    })
    .join("");
  if (!/^[0-9]{17}[0-9X]$/.test(folded)) return null;
  const [y, m, d] = [folded.slice(6, 10), folded.slice(10, 12), folded.slice(12, 14)].map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return null;
  }
  const sum = WEIGHTS.reduce((total, w, i) => total + w * Number(folded[i]), 0);
  return folded[17] === "10X98765432"[sum % 11] ? folded : null;
}

const partitionOf = (personKey) => parseInt(personKey.slice(0, 8), 16) % vectors.partitions;

const secret = Buffer.from(vectors.person_key_secret, "utf8");
for (const c of vectors.person_keys) {
  const number = normalize(c.national_id);
  if (c.refused !== undefined) {
    if (number !== null) problems.push(`ID number ${JSON.stringify(c.national_id)} accepted`);
    counts.refused += 1;
    continue;
  }
  const personKey = number && createHmac("sha256", secret).update(number, "ascii").digest("hex");
  if (personKey !== c.person_key) problems.push(`person key of ${JSON.stringify(c.national_id)}`);
  if (partitionOf(c.person_key) !== c.partition) problems.push(`partition of ${c.person_key}`);
  counts.personKeys += 1;
}

// Canonical JSON: members sorted at every depth, no whitespace; JSON.stringify's escapes.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const members = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`);
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value);
}

for (const v of [...vectors.registry, ...vectors.county_events]) {
  let message;
  try {
    message = JSON.parse(v.value);
  } catch {
    continue; // the malformed vector: nothing to sign
  }
  const { signature, ...unsigned } = message;
  const bytes = Buffer.from(canonical(unsigned), "utf8");
  if (bytes.toString("base64") !== v.canonical_base64) problems.push(`canonical: ${v.about}`);
  counts.canonical += 1;
  if (v.signed_with !== undefined) {
    const key = privateKeys[v.signed_with];
    const verifies = verify(null, bytes, createPublicKey(key), Buffer.from(signature, "base64"));
    if (verifies !== v.signature_verifies) problems.push(`verification: ${v.about}`);
    if (v.signature_verifies) {
      if (sign(null, bytes, key).toString("base64") !== signature) {
        problems.push(`signature: ${v.about}`);
      }
      counts.signatures += 1;
    }
  }
  if (v.partition !== undefined) {
    if (partitionOf(message.person_key) !== v.partition) problems.push(`partition: ${v.about}`);
    counts.partitions += 1;
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`mismatch: ${problem}`);
  process.exit(1);
}
console.log(
  `ok: ${counts.keys} keys, ${counts.personKeys} person keys, ${counts.refused} refused ID ` +
    `numbers, ${counts.canonical} canonical forms, ${counts.signatures} signatures, ` +
    `${counts.partitions} partitions`,
);
