;; Four output columns of a matmul, for every row of x:  out[r][c] = Σ_i x[r][i] · w[c][i],  c = 0..3.
;; x: `rows` rows of `k` f32 (k a multiple of 4, zero-padded), w: 4 rows of k f32, out: rows × 4 f32; all byte
;; offsets into the exported memory. Each output sums in f32 over four lanes (i mod 4), the lanes added pairwise at
;; the end: (l0 + l1) + (l2 + l3). Rows go two at a time (8 accumulators, 6 loads per 32 products), then one.
(module
  (memory (export "memory") 1)

  ;; (l0 + l1) + (l2 + l3) of one accumulator
  (func $lanes (param $a v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))

  (func (export "tile4") (param $x i32) (param $w i32) (param $out i32) (param $rows i32) (param $k i32)
    (local $stride i32) (local $r i32) (local $i i32)
    (local $x0 i32) (local $x1 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32) (local $o i32)
    (local $u v128) (local $v v128) (local $p v128) (local $q v128) (local $s v128) (local $t v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $stride (i32.shl (local.get $k) (i32.const 2)))
    (if (i32.eqz (local.get $stride)) (then (return)))
    (local.set $w1 (i32.add (local.get $w) (local.get $stride)))
    (local.set $w2 (i32.add (local.get $w1) (local.get $stride)))
    (local.set $w3 (i32.add (local.get $w2) (local.get $stride)))
    (local.set $r (i32.const 0))
    ;; pairs of rows
    (block $pairs_done
      (loop $pairs
        (br_if $pairs_done (i32.gt_u (i32.add (local.get $r) (i32.const 2)) (local.get $rows)))
        (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $x1 (i32.add (local.get $x0) (local.get $stride)))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $b0 (v128.const i32x4 0 0 0 0)) (local.set $b1 (v128.const i32x4 0 0 0 0))
        (local.set $b2 (v128.const i32x4 0 0 0 0)) (local.set $b3 (v128.const i32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (loop $dot
          (local.set $u (v128.load (i32.add (local.get $x0) (local.get $i))))
          (local.set $v (v128.load (i32.add (local.get $x1) (local.get $i))))
          (local.set $p (v128.load (i32.add (local.get $w) (local.get $i))))
          (local.set $q (v128.load (i32.add (local.get $w1) (local.get $i))))
          (local.set $s (v128.load (i32.add (local.get $w2) (local.get $i))))
          (local.set $t (v128.load (i32.add (local.get $w3) (local.get $i))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $u) (local.get $p))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $u) (local.get $q))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $u) (local.get $s))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $u) (local.get $t))))
          (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $v) (local.get $p))))
          (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $v) (local.get $q))))
          (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $v) (local.get $s))))
          (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $v) (local.get $t))))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br_if $dot (i32.lt_u (local.get $i) (local.get $stride))))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 4))))
        (f32.store offset=0 (local.get $o) (call $lanes (local.get $a0)))
        (f32.store offset=4 (local.get $o) (call $lanes (local.get $a1)))
        (f32.store offset=8 (local.get $o) (call $lanes (local.get $a2)))
        (f32.store offset=12 (local.get $o) (call $lanes (local.get $a3)))
        (f32.store offset=16 (local.get $o) (call $lanes (local.get $b0)))
        (f32.store offset=20 (local.get $o) (call $lanes (local.get $b1)))
        (f32.store offset=24 (local.get $o) (call $lanes (local.get $b2)))
        (f32.store offset=28 (local.get $o) (call $lanes (local.get $b3)))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $pairs)))
    ;; the last row when rows is odd
    (if (i32.lt_u (local.get $r) (local.get $rows))
      (then
        (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (loop $dot1
          (local.set $u (v128.load (i32.add (local.get $x0) (local.get $i))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $u) (v128.load (i32.add (local.get $w) (local.get $i))))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $u) (v128.load (i32.add (local.get $w1) (local.get $i))))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $u) (v128.load (i32.add (local.get $w2) (local.get $i))))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $u) (v128.load (i32.add (local.get $w3) (local.get $i))))))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br_if $dot1 (i32.lt_u (local.get $i) (local.get $stride))))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 4))))
        (f32.store offset=0 (local.get $o) (call $lanes (local.get $a0)))
        (f32.store offset=4 (local.get $o) (call $lanes (local.get $a1)))
        (f32.store offset=8 (local.get $o) (call $lanes (local.get $a2)))
        (f32.store offset=12 (local.get $o) (call $lanes (local.get $a3)))))))
