// The benches' phone numbers.

const areaCodes = [
  201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225, 228, 229,
  231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 272, 276, 281, 301, 302, 303,
  304, 305, 307, 308, 309, 310, 312, 313,
];
const ranges = areaCodes.length * 800;

/**
 * The i-th of distinct valid US numbers spread over 40,000 ranges (+1 NPA NXX, the number minus its
 * last four digits), so that neither the per-phone limits nor the default 20-per-hour range rule
 * refuse a send of a benchmark: number i lands in range i mod 40,000.
 */
export const spreadPhoneAt = (i) => {
  const range = i % ranges;
  const line = Math.floor(i / ranges) % 10_000;
  return `+1${areaCodes[Math.floor(range / 800)]}${200 + (range % 800)}${String(line).padStart(4, "0")}`;
};
