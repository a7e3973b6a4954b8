// The demo data every run starts from: the Seed Data Specification of
// shared/spec/story-1.2-database-schema-and-migrations.md (quarter 2025-Q1).
// Titles are verbatim from the spec; the tests compare them exactly.

export const QUARTER = '2025-Q1';

export const PEOPLE = [
  'Sarah Chen',
  'Mike Johnson',
  'Lisa Wang',
  'James Rodriguez',
  'Emily Davis',
];

/**
 * Teams in the order the dashboard shows them: the company level first (the
 * demo's, which SEED_DEMO adds), then alphabetical.
 */
export const TEAMS = ['Company', 'Corporate Sales', 'Direct Channel Sales'];

/** The demo's company objectives (SEED_DEMO; not the spec's seed): no key results of their own. */
export const COMPANY_OBJECTIVES = [
  {
    title: 'Grow direct revenue share to 55%',
    team: 'Company',
    keyResults: [],
    supporters: ['Grow Direct Channel Revenue', 'Increase Loyalty Co-brand Revenue'],
  },
  {
    title: 'Make APAC our second home market',
    team: 'Company',
    keyResults: [],
    supporters: ['Expand Corporate Sales in APAC'],
  },
];

export const OBJECTIVES = [
  ...COMPANY_OBJECTIVES,
  {
    title: 'Grow Direct Channel Revenue',
    team: 'Direct Channel Sales',
    keyResults: [
      'Increase direct booking conversion rate from 2.8% to 3.5%',
      'Grow mobile app bookings from $12M to $18M',
      'Reduce third-party commission costs from 15% to 12%',
    ],
  },
  {
    title: 'Expand Corporate Sales in APAC',
    team: 'Corporate Sales',
    keyResults: [
      'Sign 25 new corporate accounts (baseline: 0)',
      'Increase APAC corporate revenue from $8M to $15M',
      'Achieve 85% contract renewal rate (baseline: 70%)',
      'Reduce average sales cycle from 90 to 60 days',
    ],
  },
  {
    title: 'Increase Loyalty Co-brand Revenue',
    team: 'Direct Channel Sales',
    keyResults: [
      'Grow co-brand credit card sign-ups from 5,000 to 8,000 per month',
      'Increase loyalty member redemption rate from 18% to 25%',
      'Boost partner airline bookings from $3M to $5M',
    ],
  },
];

export const KEY_RESULT_TITLES = OBJECTIVES.flatMap((objective) => objective.keyResults);

export const CONFIDENCE_LABELS = ['Red', 'Amber', 'Green'];

/**
 * Latest seeded value of four key results, as the dashboard formats it
 * (the examples of the page contract: %, $, pp and # units).
 */
export const FORMATTED_CURRENT_VALUES = {
  'Increase direct booking conversion rate from 2.8% to 3.5%': '3.01%',
  'Grow mobile app bookings from $12M to $18M': '$13.4M',
  'Reduce third-party commission costs from 15% to 12%': '14.8 pp',
  'Grow co-brand credit card sign-ups from 5,000 to 8,000 per month': '5,900',
};
