/* printf.c: the printf family for the pvisor guest C library.
 *
 * One formatter (format()) writes into a "sink": either the caller's buffer
 * (snprintf and friends) or a 512-byte stack buffer that is handed to the
 * kernel's __console_write() when it fills up and once at the end, so any
 * call whose output fits in 512 bytes costs exactly one console write.
 *
 * Floating point is converted exactly: the double's binary value is
 * expanded into all of its decimal digits with a small base-1e9 bignum and
 * then rounded half-to-even at the requested digit, so %f/%e/%g output
 * matches glibc digit for digit at any precision. %a and %n are not
 * supported; %L reads a long double but formats it as a double. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The guest is built without SIMD registers (guest/guest.mk: on hosts that
 * emulate CPL0 code, most SSE instructions end the domain). This file is
 * built with them, for two things only: the one va_arg of a double, here,
 * and the variadic entry points at the end. Everything between uses the
 * general registers only and sees a double as its IEEE 754 bits. */
static uint64_t va_arg_double_bits(va_list *ap, int long_double)
{
	union { double d; uint64_t u; } bits;

	if (long_double)
		bits.d = (double)va_arg(*ap, long double);
	else
		bits.d = va_arg(*ap, double);
	return bits.u;
}

#pragma GCC push_options
#pragma GCC target("general-regs-only")

long __console_write(const char *buf, unsigned long len);

#define CONSOLE_CHUNK 512

/* ---- output sinks ------------------------------------------------------------ */

struct sink {
	char *buf;
	size_t cap;		/* bytes buf can hold */
	size_t pos;		/* bytes currently in buf */
	size_t total;		/* bytes produced, including discarded ones */
	int console;		/* flush to the console instead of truncating */
	int error;		/* a console write failed */
};

static void sink_flush(struct sink *s)
{
	if (s->console && s->pos) {
		if (__console_write(s->buf, s->pos) < 0)
			s->error = 1;
		s->pos = 0;
	}
}

/* Returns how many bytes may be stored now, flushing a full console
 * buffer; 0 means the rest of the output is discarded. */
static size_t sink_room(struct sink *s)
{
	if (s->pos == s->cap && s->console)
		sink_flush(s);
	return s->cap - s->pos;
}

static void sink_write(struct sink *s, const char *p, size_t n)
{
	s->total += n;
	while (n) {
		size_t k = sink_room(s);

		if (k == 0)
			return;
		if (k > n)
			k = n;
		memcpy(s->buf + s->pos, p, k);
		s->pos += k;
		p += k;
		n -= k;
	}
}

static void sink_fill(struct sink *s, char c, size_t n)
{
	char pad[64];

	memset(pad, c, sizeof(pad));
	while (n) {
		size_t k = n < sizeof(pad) ? n : sizeof(pad);

		sink_write(s, pad, k);
		n -= k;
	}
}

static void sink_putc(struct sink *s, char c)
{
	sink_write(s, &c, 1);
}

/* ---- conversion specifications --------------------------------------------- */

enum {
	FL_LEFT = 1,	/* '-' */
	FL_PLUS = 2,	/* '+' */
	FL_SPACE = 4,	/* ' ' */
	FL_ZERO = 8,	/* '0' */
	FL_ALT = 16,	/* '#' */
};

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T,
	      LEN_BIG_L };

struct spec {
	unsigned flags;
	size_t width;
	int prec;		/* -1: not given */
	enum length len;
	char conv;
};

/* Pads to the field width around a body of body_len bytes; call with
 * before=1 ahead of the body and before=0 after it. Zero padding is
 * emitted by the callers between the sign/prefix and the digits. */
static void pad_field(struct sink *s, const struct spec *sp, size_t body_len,
		      int before)
{
	int left = (sp->flags & FL_LEFT) != 0;

	if (sp->width > body_len && before != left)
		sink_fill(s, ' ', sp->width - body_len);
}

/* Width the zero flag adds between prefix and digits, or 0 if unused. */
static size_t zero_pad(const struct spec *sp, size_t body_len)
{
	if ((sp->flags & (FL_ZERO | FL_LEFT)) != FL_ZERO)
		return 0;
	return sp->width > body_len ? sp->width - body_len : 0;
}

static int parse_int(const char **fmt)
{
	const char *p = *fmt;
	int v = 0;

	for (; *p >= '0' && *p <= '9'; p++)
		v = v > (__INT_MAX__ - 9) / 10 ? __INT_MAX__ : v * 10 + (*p - '0');
	*fmt = p;
	return v;
}

static enum length parse_length(const char **fmt)
{
	const char *p = *fmt;
	enum length len = LEN_NONE;

	switch (*p) {
	case 'h':
		len = p[1] == 'h' ? LEN_HH : LEN_H;
		break;
	case 'l':
		len = p[1] == 'l' ? LEN_LL : LEN_L;
		break;
	case 'q':
		len = LEN_LL;
		break;
	case 'z':
		len = LEN_Z;
		break;
	case 'j':
		len = LEN_J;
		break;
	case 't':
		len = LEN_T;
		break;
	case 'L':
		len = LEN_BIG_L;
		break;
	default:
		return LEN_NONE;
	}
	*fmt = p + ((len == LEN_HH || (len == LEN_LL && *p == 'l')) ? 2 : 1);
	return len;
}

/* Parses what follows a '%'; returns the position after the conversion
 * character (sp->conv is 0 if the format ended early). */
static const char *parse_spec(const char *fmt, struct spec *sp, va_list *ap)
{
	const char *f;

	sp->flags = 0;
	for (;; fmt++) {
		if (*fmt == '-')
			sp->flags |= FL_LEFT;
		else if (*fmt == '+')
			sp->flags |= FL_PLUS;
		else if (*fmt == ' ')
			sp->flags |= FL_SPACE;
		else if (*fmt == '0')
			sp->flags |= FL_ZERO;
		else if (*fmt == '#')
			sp->flags |= FL_ALT;
		else
			break;
	}

	if (*fmt == '*') {
		int w = va_arg(*ap, int);

		fmt++;
		if (w < 0) {
			sp->flags |= FL_LEFT;
			sp->width = -(long)w;
		} else {
			sp->width = w;
		}
	} else {
		sp->width = parse_int(&fmt);
	}

	sp->prec = -1;
	if (*fmt == '.') {
		fmt++;
		if (*fmt == '*') {
			int p = va_arg(*ap, int);

			fmt++;
			sp->prec = p < 0 ? -1 : p;
		} else {
			sp->prec = parse_int(&fmt);
		}
	}

	f = fmt;
	sp->len = parse_length(&f);
	sp->conv = *f;
	return *f ? f + 1 : f;
}

/* ---- integers ----------------------------------------------------------------- */

static unsigned long long arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
	case LEN_BIG_L:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static long long arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
	case LEN_BIG_L:
		return va_arg(*ap, long long);
	case LEN_Z:	/* the signed type corresponding to size_t */
		return (long long)va_arg(*ap, size_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, int);
	}
}

/* Writes v's digits right-aligned ending at end; returns their count. */
static size_t utoa(unsigned long long v, unsigned base, int upper, char *end)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = end;

	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	return end - p;
}

/* Emits prefix (sign, "0x") then digits, with precision zeros and width
 * padding applied as C specifies for integer conversions. */
static void emit_integer(struct sink *s, const struct spec *sp,
			 const char *prefix, const char *digits, size_t ndigits)
{
	size_t plen = strlen(prefix), zeros = 0, len;
	struct spec eff = *sp;

	if (sp->prec >= 0) {
		eff.flags &= ~FL_ZERO;	/* a precision disables the 0 flag */
		if ((size_t)sp->prec > ndigits)
			zeros = sp->prec - ndigits;
	}
	len = plen + zeros + ndigits;
	zeros += zero_pad(&eff, len);
	len = plen + zeros + ndigits;

	pad_field(s, &eff, len, 1);
	sink_write(s, prefix, plen);
	sink_fill(s, '0', zeros);
	sink_write(s, digits, ndigits);
	pad_field(s, &eff, len, 0);
}

static void format_integer(struct sink *s, const struct spec *sp, va_list *ap)
{
	char buf[24], *end = buf + sizeof(buf);
	const char *prefix = "";
	unsigned long long v;
	unsigned base = 10;
	size_t n;

	if (sp->conv == 'd' || sp->conv == 'i') {
		long long x = arg_signed(sp, ap);

		v = x < 0 ? 0 - (unsigned long long)x : (unsigned long long)x;
		if (x < 0)
			prefix = "-";
		else if (sp->flags & FL_PLUS)
			prefix = "+";
		else if (sp->flags & FL_SPACE)
			prefix = " ";
	} else {
		v = arg_unsigned(sp, ap);
		if (sp->conv == 'o')
			base = 8;
		else if (sp->conv == 'x' || sp->conv == 'X')
			base = 16;
		if (base == 16 && (sp->flags & FL_ALT) && v)
			prefix = sp->conv == 'x' ? "0x" : "0X";
	}

	n = (v == 0 && sp->prec == 0) ? 0 : utoa(v, base, sp->conv == 'X', end);
	/* '#' with 'o' makes sure the first digit printed is a 0. */
	if (base == 8 && (sp->flags & FL_ALT) &&
	    (n == 0 || end[-(long)n] != '0') && sp->prec <= (int)n)
		prefix = "0";
	emit_integer(s, sp, prefix, end - n, n);
}

static void format_pointer(struct sink *s, const struct spec *sp, va_list *ap)
{
	void *p = va_arg(*ap, void *);
	char buf[24], *end = buf + sizeof(buf);
	size_t n;

	if (!p) {
		pad_field(s, sp, 5, 1);
		sink_write(s, "(nil)", 5);
		pad_field(s, sp, 5, 0);
		return;
	}
	n = utoa((uintptr_t)p, 16, 0, end);
	emit_integer(s, sp, "0x", end - n, n);
}

/* ---- strings and characters ------------------------------------------------- */

static void emit_padded(struct sink *s, const struct spec *sp, const char *p,
			size_t n)
{
	pad_field(s, sp, n, 1);
	sink_write(s, p, n);
	pad_field(s, sp, n, 0);
}

/* %ls: wide characters are narrowed; anything outside ASCII becomes '?'. */
static void format_wide_string(struct sink *s, const struct spec *sp,
			       const wchar_t *w)
{
	size_t n = 0, i;

	while (w[n] && (sp->prec < 0 || n < (size_t)sp->prec))
		n++;
	pad_field(s, sp, n, 1);
	for (i = 0; i < n; i++)
		sink_putc(s, (w[i] >= 0 && w[i] < 0x80) ? (char)w[i] : '?');
	pad_field(s, sp, n, 0);
}

static void format_string(struct sink *s, const struct spec *sp, va_list *ap)
{
	const char *str;
	size_t n;

	if (sp->len == LEN_L) {
		const wchar_t *w = va_arg(*ap, const wchar_t *);

		if (w) {
			format_wide_string(s, sp, w);
			return;
		}
		str = NULL;
	} else {
		str = va_arg(*ap, const char *);
	}
	/* Like glibc: NULL prints "(null)", or nothing if the precision
	 * would cut that word short. */
	if (!str)
		str = (sp->prec < 0 || sp->prec >= 6) ? "(null)" : "";
	n = sp->prec < 0 ? strlen(str) : strnlen(str, sp->prec);
	emit_padded(s, sp, str, n);
}

static void format_char(struct sink *s, const struct spec *sp, va_list *ap)
{
	char c = (char)va_arg(*ap, int);

	emit_padded(s, sp, &c, 1);
}

/* ---- floating point: exact decimal expansion ----------------------------------- */

/* 2^1024 has 309 digits; 2^-1074 has 1074 digits after the point, 751 of
 * them significant; times a 53-bit mantissa that is at most 767 digits. */
#define DEC_MAX_DIGITS 775
#define BIG_MAX_LIMBS 88
#define LIMB_BASE 1000000000u

/* value = 0.d[0] d[1] ... d[nd-1] * 10^exp, digits as ASCII, no trailing
 * zeros; nd == 0 means the value is zero. */
struct decimal {
	char d[DEC_MAX_DIGITS];
	int nd;
	int exp;
};

/* A little-endian base-1e9 unsigned integer. */
struct bignum {
	uint32_t limb[BIG_MAX_LIMBS];
	int n;
};

static void big_mul_small(struct bignum *b, uint32_t m)
{
	uint64_t carry = 0;
	int i;

	for (i = 0; i < b->n; i++) {
		uint64_t t = (uint64_t)b->limb[i] * m + carry;

		b->limb[i] = t % LIMB_BASE;
		carry = t / LIMB_BASE;
	}
	while (carry) {
		b->limb[b->n++] = carry % LIMB_BASE;
		carry /= LIMB_BASE;
	}
}

static void decimal_trim(struct decimal *dec)
{
	while (dec->nd > 0 && dec->d[dec->nd - 1] == '0')
		dec->nd--;
	if (dec->nd == 0)
		dec->exp = 0;
}

/* Writes the bignum's decimal digits (no leading zeros) into dec. */
static void big_to_digits(const struct bignum *b, struct decimal *dec)
{
	char tmp[10];
	int i, k, n;

	n = utoa(b->limb[b->n - 1], 10, 0, tmp + sizeof(tmp));
	memcpy(dec->d, tmp + sizeof(tmp) - n, n);
	for (i = b->n - 2; i >= 0; i--) {
		uint32_t v = b->limb[i];

		for (k = 8; k >= 0; k--) {
			dec->d[n + k] = '0' + v % 10;
			v /= 10;
		}
		n += 9;
	}
	dec->nd = n;
}

/* Expands |v| (finite, given as its IEEE 754 bits) exactly:
 * v = m * 2^e = m * 5^-e / 10^-e for e < 0. */
static void decimal_from_double(uint64_t bits, struct decimal *dec)
{
	uint64_t m = bits & ((1ull << 52) - 1);
	int bexp = (bits >> 52) & 0x7ff;
	int e, frac_digits = 0;
	struct bignum b;

	if (bexp == 0 && m == 0) {
		dec->nd = 0;
		dec->exp = 0;
		return;
	}
	if (bexp) {
		m |= 1ull << 52;
		e = bexp - 1075;
	} else {
		e = -1074;
	}
	while (!(m & 1) && e < 0) {
		m >>= 1;
		e++;
	}

	b.n = 0;
	do {
		b.limb[b.n++] = m % LIMB_BASE;
		m /= LIMB_BASE;
	} while (m);

	for (; e >= 29; e -= 29)
		big_mul_small(&b, 1u << 29);
	if (e > 0)
		big_mul_small(&b, 1u << e);
	for (; e <= -13; e += 13, frac_digits += 13)
		big_mul_small(&b, 1220703125u);	/* 5^13 */
	if (e < 0) {
		uint32_t p = 1;

		frac_digits += -e;
		for (; e < 0; e++)
			p *= 5;
		big_mul_small(&b, p);
	}

	big_to_digits(&b, dec);
	dec->exp = dec->nd - frac_digits;
	decimal_trim(dec);
}

/* Rounds to `keep` significant digits, ties to even (as glibc does in the
 * default rounding mode). keep may be <= 0 or beyond the digits present. */
static void decimal_round(struct decimal *dec, long keep)
{
	int up, i;

	if (keep >= dec->nd)
		return;
	if (keep < 0) {
		dec->nd = 0;
		dec->exp = 0;
		return;
	}
	if (dec->d[keep] != '5')
		up = dec->d[keep] > '5';
	else if (dec->nd > keep + 1)
		up = 1;		/* digits after the 5 are never all zero */
	else
		up = keep > 0 && ((dec->d[keep - 1] - '0') & 1);

	dec->nd = keep;
	if (!up) {
		decimal_trim(dec);
		return;
	}
	for (i = keep - 1; i >= 0 && dec->d[i] == '9'; i--)
		;
	if (i < 0) {
		dec->d[0] = '1';
		dec->nd = 1;
		dec->exp++;
	} else {
		dec->d[i]++;
		dec->nd = i + 1;
	}
}

/* Emits the digits at positions [from, from + count) of dec, where
 * position 0 is its first significant digit; positions outside the stored
 * digits are zeros. */
static void emit_digits(struct sink *s, const struct decimal *dec, long from,
			size_t count)
{
	if (count && from < 0) {
		size_t k = (size_t)-from < count ? (size_t)-from : count;

		sink_fill(s, '0', k);
		from += k;
		count -= k;
	}
	if (count && from < dec->nd) {
		size_t avail = (size_t)(dec->nd - from);
		size_t k = avail < count ? avail : count;

		sink_write(s, dec->d + from, k);
		from += k;
		count -= k;
	}
	sink_fill(s, '0', count);
}

/* Layout of a formatted finite number, computed before emitting so that
 * padding is known up front. */
struct float_layout {
	const char *sign;	/* "", "-", "+" or " " */
	int exp_style;		/* %e layout rather than %f */
	long frac;		/* digits after the point */
	int point;		/* print the decimal point */
	size_t int_digits;	/* %f: digits before the point */
	char exp_buf[8];	/* %e: "e+05" and the like */
	size_t exp_len;
};

static size_t layout_length(const struct float_layout *lo)
{
	return strlen(lo->sign) + lo->int_digits + lo->point + lo->frac +
	       lo->exp_len;
}

static void layout_fixed(struct float_layout *lo, const struct decimal *dec,
			 long frac, int alt)
{
	lo->exp_style = 0;
	lo->frac = frac;
	lo->point = frac > 0 || alt;
	lo->int_digits = dec->exp > 0 ? dec->exp : 1;
	lo->exp_len = 0;
}

static void layout_exponent(struct float_layout *lo, const struct decimal *dec,
			    long frac, int alt, char e_char)
{
	int x = dec->nd ? dec->exp - 1 : 0;
	char tmp[8];
	size_t n = utoa(x < 0 ? -x : x, 10, 0, tmp + sizeof(tmp));

	lo->exp_style = 1;
	lo->frac = frac;
	lo->point = frac > 0 || alt;
	lo->int_digits = 1;
	lo->exp_buf[0] = e_char;
	lo->exp_buf[1] = x < 0 ? '-' : '+';
	lo->exp_len = 2;
	if (n < 2)
		lo->exp_buf[lo->exp_len++] = '0';
	memcpy(lo->exp_buf + lo->exp_len, tmp + sizeof(tmp) - n, n);
	lo->exp_len += n;
}

static void emit_float(struct sink *s, const struct spec *sp,
		       const struct float_layout *lo, const struct decimal *dec)
{
	size_t len = layout_length(lo);
	size_t zeros = zero_pad(sp, len);

	pad_field(s, sp, len + zeros, 1);
	sink_write(s, lo->sign, strlen(lo->sign));
	sink_fill(s, '0', zeros);
	if (lo->exp_style) {
		if (dec->nd)
			emit_digits(s, dec, 0, 1);
		else
			sink_putc(s, '0');
	} else {
		if (dec->exp > 0)
			emit_digits(s, dec, 0, dec->exp);
		else
			sink_putc(s, '0');
	}
	if (lo->point)
		sink_putc(s, '.');
	emit_digits(s, dec, lo->exp_style ? 1 : dec->exp, lo->frac);
	sink_write(s, lo->exp_buf, lo->exp_len);
	pad_field(s, sp, len + zeros, 0);
}

static void emit_nonfinite(struct sink *s, const struct spec *sp,
			   const char *sign, int is_nan, int upper)
{
	const char *word = is_nan ? (upper ? "NAN" : "nan") :
				    (upper ? "INF" : "inf");
	size_t len = strlen(sign) + 3;

	pad_field(s, sp, len, 1);	/* the 0 flag does not apply */
	sink_write(s, sign, strlen(sign));
	sink_write(s, word, 3);
	pad_field(s, sp, len, 0);
}

/* %g: precision P significant digits; %e style if the exponent X is below
 * -4 or at least P, else %f style; trailing zeros go unless '#'. */
static void layout_general(struct float_layout *lo, struct decimal *dec,
			   long prec, int alt, char e_char)
{
	long p = prec == 0 ? 1 : prec;
	long x, frac;

	decimal_round(dec, p);
	x = dec->nd ? dec->exp - 1 : 0;
	if (x < -4 || x >= p) {
		frac = p - 1;
		if (!alt && frac > dec->nd - 1)
			frac = dec->nd > 0 ? dec->nd - 1 : 0;
		layout_exponent(lo, dec, frac, alt, e_char);
	} else {
		frac = p - 1 - x;
		if (!alt && frac > dec->nd - dec->exp)
			frac = dec->nd - dec->exp > 0 ? dec->nd - dec->exp : 0;
		layout_fixed(lo, dec, frac, alt);
	}
}

static void format_float(struct sink *s, const struct spec *sp, va_list *ap)
{
	uint64_t bits = va_arg_double_bits(ap, sp->len == LEN_BIG_L);
	struct float_layout lo;
	struct decimal dec;
	char c = sp->conv, lower = c | 0x20;
	int upper = c != lower, alt = (sp->flags & FL_ALT) != 0;
	long prec = sp->prec < 0 ? 6 : sp->prec;

	if (bits >> 63)
		lo.sign = "-";
	else if (sp->flags & FL_PLUS)
		lo.sign = "+";
	else if (sp->flags & FL_SPACE)
		lo.sign = " ";
	else
		lo.sign = "";
	if (((bits >> 52) & 0x7ff) == 0x7ff) {
		emit_nonfinite(s, sp, lo.sign, (bits << 12) != 0, upper);
		return;
	}

	decimal_from_double(bits, &dec);
	if (lower == 'f') {
		decimal_round(&dec, dec.exp + prec);
		layout_fixed(&lo, &dec, prec, alt);
	} else if (lower == 'e') {
		decimal_round(&dec, prec + 1);
		layout_exponent(&lo, &dec, prec, alt, upper ? 'E' : 'e');
	} else {
		layout_general(&lo, &dec, prec, alt, upper ? 'E' : 'e');
	}
	emit_float(s, sp, &lo, &dec);
}

/* ---- the formatter --------------------------------------------------------------- */

static void format_one(struct sink *s, const struct spec *sp, va_list *ap)
{
	switch (sp->conv) {
	case 'd': case 'i': case 'u': case 'o': case 'x': case 'X':
		format_integer(s, sp, ap);
		break;
	case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
		format_float(s, sp, ap);
		break;
	case 's':
		format_string(s, sp, ap);
		break;
	case 'c':
		format_char(s, sp, ap);
		break;
	case 'p':
		format_pointer(s, sp, ap);
		break;
	default:
		break;
	}
}

static int is_known_conv(char c)
{
	return c && strchr("diouxXfFeEgGscp%", c);
}

static void format(struct sink *s, const char *fmt, va_list ap_in)
{
	va_list ap;

	va_copy(ap, ap_in);
	while (*fmt) {
		const char *start = fmt;
		struct spec sp;

		fmt = strchrnul(fmt, '%');
		sink_write(s, start, fmt - start);
		if (!*fmt)
			break;
		start = fmt;
		fmt = parse_spec(fmt + 1, &sp, &ap);
		if (sp.conv == '%')
			sink_putc(s, '%');
		else if (is_known_conv(sp.conv))
			format_one(s, &sp, &ap);
		else	/* unsupported: copy the directive through verbatim */
			sink_write(s, start, fmt - start);
	}
	va_end(ap);
}

/* The int result of a printf-family call: C wants a negative value (and
 * glibc sets EOVERFLOW) when the length does not fit in an int. */
static int result(const struct sink *s)
{
	if (s->error) {
		errno = EIO;
		return -1;
	}
	if (s->total > (size_t)__INT_MAX__) {
		errno = EOVERFLOW;
		return -1;
	}
	return (int)s->total;
}

/* ---- buffer entry points ------------------------------------------------------ */

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt,
	      va_list ap)
{
	struct sink s = { buf, size ? size - 1 : 0, 0, 0, 0, 0 };

	format(&s, fmt, ap);
	if (size)
		buf[s.pos] = '\0';
	return result(&s);
}

int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
{
	return vsnprintf(buf, (size_t)__INT_MAX__ + 1, fmt, ap);
}

/* ---- console entry points ------------------------------------------------------ */

struct __pvisor_file {
	int unused;
};

static struct __pvisor_file console_out, console_err;
FILE *stdout = &console_out;
FILE *stderr = &console_err;

int vprintf(const char *restrict fmt, va_list ap)
{
	char buf[CONSOLE_CHUNK];
	struct sink s = { buf, sizeof(buf), 0, 0, 1, 0 };

	format(&s, fmt, ap);
	sink_flush(&s);
	return result(&s);
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
	(void)f;
	return vprintf(fmt, ap);
}

/* Writes s (plus a newline if asked) to the console, in one call when it
 * fits in a chunk. Returns a nonnegative value or EOF. */
static int console_puts(const char *str, int newline)
{
	char buf[CONSOLE_CHUNK];
	struct sink s = { buf, sizeof(buf), 0, 0, 1, 0 };

	sink_write(&s, str, strlen(str));
	if (newline)
		sink_putc(&s, '\n');
	sink_flush(&s);
	return s.error ? EOF : 0;
}

int puts(const char *s)
{
	return console_puts(s, 1);
}

int fputs(const char *restrict s, FILE *restrict f)
{
	(void)f;
	return console_puts(s, 0);
}

int fputc(int c, FILE *f)
{
	char ch = (char)c;

	(void)f;
	if (__console_write(&ch, 1) < 0)
		return EOF;
	return (unsigned char)ch;
}

int putc(int c, FILE *f)
{
	return fputc(c, f);
}

int putchar(int c)
{
	return fputc(c, stdout);
}

int fflush(FILE *f)
{
	(void)f;
	return 0;
}

#pragma GCC pop_options

/* ---- variadic entry points ---------------------------------------------------------
 * Built with SSE: a caller passes double arguments in xmm registers, and
 * only a prologue built with SSE saves them where va_arg finds them (with
 * movaps, which the emulator handles; callers without doubles skip it). */

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int sprintf(char *restrict buf, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsprintf(buf, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}
