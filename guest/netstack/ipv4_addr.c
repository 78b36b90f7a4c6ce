/* ipv4_addr.c: parsing dotted-quad IPv4 addresses ("10.0.2.15"). */
#include <pv/netstack.h>

/* Parses one decimal part of 1 to 3 digits, 0..255, no leading zero;
 * returns the text after it or NULL. */
static const char *parse_part(const char *s, uint8_t *part)
{
	unsigned value = 0, digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 4) {
		value = value * 10 + (unsigned)(*s - '0');
		digits++;
		s++;
	}
	if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && s[-(int)digits] == '0'))
		return NULL;
	*part = (uint8_t)value;
	return s;
}

bool netstack_parse_ipv4(const char *text, uint8_t ip[4])
{
	uint8_t parts[4];
	const char *s = text;

	for (int i = 0; i < 4; i++) {
		if (i > 0 && *s++ != '.')
			return false;
		s = parse_part(s, &parts[i]);
		if (!s)
			return false;
	}
	if (*s)
		return false;
	for (int i = 0; i < 4; i++)
		ip[i] = parts[i];
	return true;
}
