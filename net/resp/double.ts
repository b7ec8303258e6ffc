// Doubles as redis 7.2+ writes them (d2string in util.c, then fpconv_dtoa's emit_digits):
// "nan", "inf", "-inf", "0"/"-0"; integral values within +-2^62 as plain integers;
// otherwise the shortest round-trip digits, plain when the exponent is small and as
// "1.5e+20" / "1e-7" otherwise (exponent without zero padding).
// We take the shortest digits from the JS engine (always shortest; redis's Grisu2 is
// shortest for all but rare inputs, where redis may print one more digit).

/** LLONG_MAX / 2 as a double: d2string prints integers only below this magnitude. */
const integerPrintMax = 2 ** 62;

export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isInteger(d) && d >= -integerPrintMax && d <= integerPrintMax) {
    return Number.isSafeInteger(d) ? String(d) : BigInt(d).toString();
  }
  return formatShortest(d);
}

/** emit_digits: digits d1..dn times 10^K, in plain or scientific form. */
function formatShortest(d: number): string {
  const negative = d < 0;
  const [mantissa = '', exponentText = '0'] = Math.abs(d).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const ndigits = digits.length;
  const K = Number(exponentText) - (ndigits - 1);
  const exp = Math.abs(K + ndigits - 1);
  const sign = negative ? '-' : '';
  if (K >= 0 && exp < ndigits + 7) return sign + digits + '0'.repeat(K);
  if (K < 0 && (K > -7 || exp < 4)) {
    const offset = ndigits + K;
    if (offset <= 0) return `${sign}0.${'0'.repeat(-offset)}${digits}`;
    return `${sign}${digits.slice(0, offset)}.${digits.slice(offset)}`;
  }
  const fraction = ndigits > 1 ? `.${digits.slice(1)}` : '';
  const expSign = K + ndigits - 1 < 0 ? '-' : '+';
  return `${sign}${digits[0] ?? ''}${fraction}e${expSign}${exp}`;
}
