import type { Region } from './normalizer-types.js';

/**
 * Country tables the ISO data does not give us: the region of every ISO
 * 3166-1 code, and the aliases people type that are not names in any
 * i18n-iso-countries locale. A test checks that every code the package knows
 * is in exactly one region.
 */

/**
 * ISO 3166-1 alpha-2 codes per region. Decisions beyond NORMALIZATION.md:
 * - NA is exactly the United States, its territories (PR, GU, VI, AS, MP, UM)
 *   and Canada, so Greenland and Saint Pierre and Miquelon go with their
 *   European sovereigns (EMEA), which is who sells there.
 * - Central Asia (KZ, KG, TJ, TM, UZ) and the Caucasus (AM, AZ, GE) are EMEA:
 *   they are sold to from the CIS / Eastern Europe desks, in EMEA time zones.
 * - Afghanistan is South Asia (UN M49), so APAC; Iran is Middle East, so EMEA.
 * - Other territories follow geography: Caribbean ones (of any sovereign) and
 *   Bermuda, the Falklands and South Georgia are LATAM; Pacific and Indian
 *   Ocean ones east of Africa (IO, CX, CC, HM) and Antarctica are APAC;
 *   Réunion, Mayotte, Saint Helena, Bouvet Island and the French Southern
 *   Territories are EMEA (Africa).
 * - Kosovo (XK, user-assigned but used by i18n-iso-countries) is EMEA.
 */
export const REGION_COUNTRIES: Readonly<Record<Region, readonly string[]>> = {
  NA: ['US', 'CA', 'PR', 'GU', 'VI', 'AS', 'MP', 'UM'],
  LATAM: [
    // Mexico and Central America
    'MX', 'BZ', 'CR', 'SV', 'GT', 'HN', 'NI', 'PA',
    // South America and the South Atlantic
    'AR', 'BO', 'BR', 'CL', 'CO', 'EC', 'FK', 'GF', 'GY', 'PY', 'PE', 'SR', 'UY', 'VE', 'GS',
    // The Caribbean, and Bermuda
    'AI', 'AG', 'AW', 'BS', 'BB', 'BM', 'BQ', 'KY', 'CU', 'CW', 'DM', 'DO', 'GD', 'GP', 'HT', 'JM', 'MQ', 'MS', 'BL', 'KN',
    'LC', 'MF', 'VC', 'SX', 'TT', 'TC', 'VG',
  ],
  EMEA: [
    // Europe, incl. Russia and Turkey
    'AD', 'AL', 'AT', 'AX', 'BA', 'BE', 'BG', 'BY', 'CH', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FO', 'FR', 'GB', 'GG',
    'GI', 'GR', 'HR', 'HU', 'IE', 'IM', 'IS', 'IT', 'JE', 'LI', 'LT', 'LU', 'LV', 'MC', 'MD', 'ME', 'MK', 'MT', 'NL', 'NO',
    'PL', 'PT', 'RO', 'RS', 'RU', 'SE', 'SI', 'SJ', 'SK', 'SM', 'UA', 'VA', 'XK', 'TR', 'GL', 'PM',
    // Caucasus and Central Asia
    'AM', 'AZ', 'GE', 'KZ', 'KG', 'TJ', 'TM', 'UZ',
    // Middle East
    'AE', 'BH', 'IL', 'IQ', 'IR', 'JO', 'KW', 'LB', 'OM', 'PS', 'QA', 'SA', 'SY', 'YE',
    // Africa and its islands
    'DZ', 'AO', 'BJ', 'BW', 'BF', 'BI', 'CV', 'CM', 'CF', 'TD', 'KM', 'CG', 'CD', 'CI', 'DJ', 'EG', 'GQ', 'ER', 'SZ', 'ET',
    'GA', 'GM', 'GH', 'GN', 'GW', 'KE', 'LS', 'LR', 'LY', 'MG', 'MW', 'ML', 'MR', 'MU', 'YT', 'MA', 'MZ', 'NA', 'NE', 'NG',
    'RE', 'RW', 'SH', 'ST', 'SN', 'SC', 'SL', 'SO', 'ZA', 'SS', 'SD', 'TZ', 'TG', 'TN', 'UG', 'EH', 'ZM', 'ZW', 'BV', 'TF',
  ],
  APAC: [
    // South Asia
    'AF', 'BD', 'BT', 'IN', 'MV', 'NP', 'PK', 'LK', 'IO',
    // East Asia
    'CN', 'HK', 'MO', 'JP', 'KP', 'KR', 'MN', 'TW',
    // South-East Asia
    'BN', 'KH', 'ID', 'LA', 'MY', 'MM', 'PH', 'SG', 'TH', 'TL', 'VN', 'CX', 'CC',
    // Oceania and Antarctica
    'AU', 'NZ', 'FJ', 'KI', 'MH', 'FM', 'NR', 'PW', 'PG', 'WS', 'SB', 'TO', 'TV', 'VU', 'NC', 'PF', 'WF', 'CK', 'NU', 'TK',
    'PN', 'NF', 'HM', 'AQ',
  ],
};

/**
 * Locales whose country names are read: the native languages of (at least)
 * the 40 largest economies. Names in every one of them are accepted for every
 * country ("Deutschland", "Allemagne", "Alemania" -> DE).
 */
export const NAME_LOCALES = [
  'en', 'de', 'es', 'pt', 'it', 'pl', 'nl', 'fr', 'ja', 'zh', 'ko', 'ru', 'tr', 'sv', 'da', 'no', 'nb', 'fi', 'cs', 'hu',
  'ro', 'el', 'he', 'ar', 'id', 'ms', 'th', 'vi', 'hi', 'bn', 'fa', 'ur', 'uk',
] as const;

/**
 * Names and short forms people type that no locale file has, to ISO alpha-2.
 * They win over locale names. "Korea" alone is read as South Korea (KR):
 * that is what it means in B2B data; "Congo" alone stays an error because
 * both Congos trade.
 */
export const COUNTRY_ALIASES: Readonly<Record<string, string>> = {
  // United Kingdom and its constituent countries
  UK: 'GB', Britain: 'GB', England: 'GB', Scotland: 'GB', Wales: 'GB', 'Northern Ireland': 'GB', Cymru: 'GB',
  'Great Britain and Northern Ireland': 'GB', 'United Kingdom of Great Britain and Northern Ireland': 'GB',
  // United States
  'United States of America': 'US', 'US of A': 'US', EEUU: 'US', 'EE.UU.': 'US',
  // Short and official forms
  UAE: 'AE', Emirates: 'AE', KSA: 'SA', Saudi: 'SA', Holland: 'NL', Korea: 'KR', ROK: 'KR', 'Republic of Korea': 'KR',
  DPRK: 'KP', "Korea, Democratic People's Republic of": 'KP', "Democratic People's Republic of Korea": 'KP',
  PRC: 'CN', 'Mainland China': 'CN', 'China, Mainland': 'CN', 'Hong Kong SAR': 'HK', 'Hong Kong SAR China': 'HK', Macau: 'MO',
  'Macau SAR': 'MO', 'Macao SAR': 'MO', 'Bolivia, Plurinational State of': 'BO', 'Plurinational State of Bolivia': 'BO',
  'Venezuela, Bolivarian Republic of': 'VE', 'Bolivarian Republic of Venezuela': 'VE', Laos: 'LA', Syria: 'SY', Brunei: 'BN',
  'Cabo Verde': 'CV', Burma: 'MM', 'East Timor': 'TL', Swaziland: 'SZ', Macedonia: 'MK',
  'Macedonia, the former Yugoslav Republic of': 'MK', 'Former Yugoslav Republic of Macedonia': 'MK', FYROM: 'MK',
  Vatican: 'VA', 'Vatican City': 'VA', 'Holy See': 'VA', 'Republic of Ireland': 'IE', Eire: 'IE', 'Slovak Republic': 'SK',
  'Kyrgyz Republic': 'KG', Bosnia: 'BA', 'Bosnia-Herzegovina': 'BA', 'St Barts': 'BL', 'St Barths': 'BL', 'Saint Barts': 'BL',
  Falklands: 'FK', Faroes: 'FO', DRC: 'CD', 'DR Congo': 'CD', 'Congo-Kinshasa': 'CD', 'Congo, Democratic Republic of the': 'CD',
  'Congo-Brazzaville': 'CG', 'Sao Tome': 'ST', 'Sint Maarten': 'SX', 'Saint Martin': 'MF', 'Russia': 'RU',
  'Trinidad': 'TT', 'Antigua': 'AG', 'St Kitts': 'KN', 'St Vincent': 'VC', 'Tanzania, United Republic of': 'TZ',
  'Iran, Islamic Republic of': 'IR', 'Micronesia': 'FM', 'Moldova': 'MD', 'Palestinian Territories': 'PS', 'Turkiye': 'TR',
  // Native names and transliterations missing from the locale files
  Oesterreich: 'AT', Helvetia: 'CH', Nippon: 'JP', Nihon: 'JP', Bharat: 'IN', Hellas: 'GR', Ellada: 'GR', Cesko: 'CZ',
  Rossiya: 'RU', Pilipinas: 'PH', 한국: 'KR', 台湾: 'TW', 臺灣: 'TW', 中國: 'CN', ประเทศไทย: 'TH', 'Prathet Thai': 'TH',
};
