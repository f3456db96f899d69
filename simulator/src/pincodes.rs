//! Real pincodes (India Post) for the districts the README, the dev stack and
//! the tests name, so `--pincode 800001` finds a centre in Patna as it would
//! have on the real API. The location snapshot carries no pincodes, so every
//! other district gets made-up ones from its id (see `world::pincode`).

/// District id and the pincodes of its three centres, in centre order.
const REAL: &[(u32, [u32; 3])] = &[
    (79, [823_001, 823_002, 824_231]), // Gaya: Gaya HO, Gaya city, Bodh Gaya
    (97, [800_001, 800_004, 800_020]), // Patna: Patna GPO, Patna city, Kankarbagh
    (140, [110_001, 110_011, 110_021]), // New Delhi: Connaught Place, Nirman Bhawan, Chanakyapuri
    (265, [560_001, 560_034, 560_066]), // Bangalore Urban: GPO, Koramangala, Whitefield
    (395, [400_001, 400_005, 400_020]), // Mumbai: GPO, Colaba, Churchgate
    (571, [600_001, 600_017, 600_041]), // Chennai: Parrys, T. Nagar, Thiruvanmiyur
    (581, [500_001, 500_004, 500_034]), // Hyderabad: GPO, Khairatabad, Banjara Hills
    (725, [700_001, 700_016, 700_026]), // Kolkata: GPO, Park Street, Kalighat
];

/// The real pincode of `district`'s centre `centre` (0, 1 or 2), if known.
pub fn real(district: u32, centre: usize) -> Option<u32> {
    REAL.iter()
        .find(|(id, _)| *id == district)
        .and_then(|(_, pins)| pins.get(centre).copied())
}

/// Whether `pin` is one of the real pincodes above (made-up ones must avoid them).
pub fn is_real(pin: u32) -> bool {
    REAL.iter().any(|(_, pins)| pins.contains(&pin))
}
