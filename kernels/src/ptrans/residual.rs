//! PTRANS's check (`PTRANS/pdmatcmp.c`): the largest absolute difference
//! between the computed and the expected `C`, relative to the largest
//! absolute entry of the expected one, `max |C - E| / max |E|` over the
//! whole matrix. The driver combines the two local maxima over the grid and
//! scales the quotient by `eps max(m, n)` before comparing it with the
//! threshold.

/// The two local maxima of `pdmatcmp` over the `rows x cols` local parts:
/// `(max |got - expected|, max |expected|)`. A NaN difference makes the
/// first NaN, so that a NaN result cannot pass (HPCC's `idamax` would skip
/// it).
pub fn local_maxima(
    expected: &[f64],
    lde: usize,
    got: &[f64],
    ldg: usize,
    rows: usize,
    cols: usize,
) -> (f64, f64) {
    let mut diff = 0.0f64;
    let mut size = 0.0f64;
    for j in 0..cols {
        let e = &expected[j * lde..j * lde + rows];
        let g = &got[j * ldg..j * ldg + rows];
        for (e, g) in e.iter().zip(g) {
            size = size.max(e.abs());
            let d = (g - e).abs();
            if d > diff || d.is_nan() {
                diff = d;
            }
        }
    }
    (diff, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxima_of_difference_and_expected() {
        let e = [1.0, -4.0, 9.0, 2.0, 0.5, 0.25];
        let mut g = e;
        assert_eq!(local_maxima(&e, 3, &g, 3, 3, 2), (0.0, 9.0));
        g[4] += 0.125;
        g[1] -= 0.5;
        assert_eq!(local_maxima(&e, 3, &g, 3, 3, 2), (0.5, 9.0));
        // Rows beyond `rows` are not looked at.
        assert_eq!(local_maxima(&e, 3, &g, 3, 1, 2), (0.0, 2.0));
        g[0] = f64::NAN;
        assert!(local_maxima(&e, 3, &g, 3, 3, 2).0.is_nan());
        assert_eq!(local_maxima(&e, 3, &g, 3, 0, 2), (0.0, 0.0));
    }
}
