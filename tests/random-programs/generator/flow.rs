//! Branches, loops, jumps and `match`: the statements that hold others.
//!
//! What they may assume of the values they read: a variable that branches
//! and loops assign (a flow target) enters every pass of a loop anywhere in
//! `[-CAP, CAP]` and each update keeps it there, so after a loop (left by a
//! `break` or not) it lies anywhere there too; after a branch or a `match`,
//! each value lies in the hull of what every arm leaves (and of what none
//! leaves, without an `else`). Integers hold their ranges: a loop's variable
//! `0..n`, a counter `1..=n` in its loop's body, a tally `0..=TALLY_MAX`.
//!
//! What Rust must not warn of: every value assigned is read on some path, so
//! an arm that returns holds nothing before its `return`; a jump ends its
//! arm, and neither an `else` nor a match's last arm jumps, so the code after
//! a branch stays reachable.

use super::*;

/// How an arm leaves: the innermost loop, its pass, or the function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Jump {
    Break,
    Continue,
    Return,
}

/// The statements of a block (a branch, a loop's body, a match arm).
#[derive(Clone, Copy)]
enum InBlock {
    Let,
    Update,
    If,
    For,
    While,
    Loop,
    Jump,
    Match,
    Tally,
}

/// What an arm may change of a local, restored before each arm.
#[derive(Clone)]
struct LocalState {
    ranges: Vec<Range>,
    constants: Vec<bool>,
}

/// The state of every local.
type Snapshot = Vec<LocalState>;

impl Generator<'_> {
    /// The statements of a branch, a loop's body or a match arm; `bound`
    /// are integers in scope in it alone (a loop's variable, a match
    /// binding), read in it.
    fn block(&mut self, bound: Vec<IntLocal>) -> Vec<Stmt> {
        self.scoped(bound, Self::block_statements)
    }

    /// One to three statements of a block.
    fn block_statements(&mut self) {
        for _ in 0..1 + self.rng.below(3) {
            self.block_statement();
        }
    }

    /// The statements `fill` makes in a scope of their own: its locals and
    /// `bound` end with it, and what it bound and did not read is read last.
    fn scoped(&mut self, bound: Vec<IntLocal>, fill: impl FnOnce(&mut Self)) -> Vec<Stmt> {
        let outer = self.locals.len();
        let outer_ints = self.ints.len();
        self.ints.extend(bound);
        let escaped = self.body.iter().any(|s| s.jumps_out(false));
        self.escaped.push(escaped);
        let saved = std::mem::take(&mut self.body);
        self.nest += 1;
        fill(self);
        self.read_scoped(outer, outer_ints);
        self.locals.truncate(outer);
        self.ints.truncate(outer_ints);
        self.nest -= 1;
        self.escaped.pop();
        std::mem::replace(&mut self.body, saved)
    }

    /// Adds what the scope bound and did not read to flow targets
    /// (`v3 += u7;`, `v3 += 0.4 * (j as f64);`), so Rust sees it used.
    fn read_scoped(&mut self, outer: usize, outer_ints: usize) {
        for i in outer..self.locals.len() {
            if !self.locals[i].read {
                let name = self.locals[i].name.clone();
                let value = self.read_local(&name);
                let range = self.locals[i].ranges[0];
                let target = self.any_target();
                let (value, range) = self.fit(value, range, Any);
                self.compound(&target, BinOp::Add, value, range);
            }
        }
        for i in outer_ints..self.ints.len() {
            if !self.ints[i].read {
                let name = self.ints[i].name.clone();
                let (value, range) = self.scaled_int(&name);
                let target = self.any_target();
                let (value, range) = self.fit(value, range, Any);
                self.compound(&target, BinOp::Add, value, range);
            }
        }
    }

    /// `0.4 * (name as f64)`, reading an integer.
    fn scaled_int(&mut self, name: &str) -> (Expr, Range) {
        let (leaf, range) = self.read_int(name);
        let scale = round2(self.rng.uniform(0.1, 0.9));
        let value = Expr::Binary(BinOp::Mul, Box::new(Expr::Literal(scale)), Box::new(leaf));
        (value, BinOp::Mul.range(Range::point(scale), range))
    }

    /// A variable branches and loops assign.
    fn any_target(&mut self) -> String {
        let targets: Vec<String> = self
            .locals
            .iter()
            .filter(|l| l.flow && l.ranges.len() == 1)
            .map(|l| l.name.clone())
            .collect();
        self.rng.pick(&targets).clone()
    }

    /// One statement of a block, drawn by weight: no branch, loop or jump
    /// past three levels of nesting, no loop past two loops.
    fn block_statement(&mut self) {
        let w = &WEIGHTS;
        let deeper = u32::from(self.nest < 3);
        // Loops in loops, and jumps (returns, mostly) out of those, are
        // drawn more often than chance alone would.
        let loop_body = self.loops.last().is_some_and(|f| f.body_nest == self.nest);
        let loops = deeper
            * match self.loops.len() {
                0 => 1,
                1 if loop_body => 3,
                1 => 1,
                _ => 0,
            };
        let jumps = deeper * if self.loops.len() > 1 { 4 } else { 1 };
        let ints = u32::from(!self.ints.is_empty());
        let tallies = u32::from(self.ints.iter().any(|i| i.tally));
        let choice = self.pick(&[
            (w.block_let, InBlock::Let),
            (w.block_update, InBlock::Update),
            (deeper * w.block_if, InBlock::If),
            (loops * w.block_for, InBlock::For),
            (loops * w.block_while, InBlock::While),
            (loops * w.block_loop, InBlock::Loop),
            (jumps * w.block_jump, InBlock::Jump),
            (deeper * ints * w.block_match, InBlock::Match),
            (tallies * w.block_tally, InBlock::Tally),
        ]);
        match choice {
            InBlock::Let => {
                let depth = 1 + self.rng.below(2);
                self.let_stmt(depth);
            }
            InBlock::Update => self.update_target(),
            InBlock::If => self.if_stmt(None),
            InBlock::For => self.for_stmt(),
            InBlock::While => self.while_stmt(),
            InBlock::Loop => self.loop_stmt(),
            InBlock::Jump => {
                let jump = self.any_jump();
                self.if_stmt(Some(jump));
            }
            InBlock::Match => self.match_stmt(),
            InBlock::Tally => self.count_up(),
        }
    }

    /// An update of a flow target; of one that constant code made, at
    /// times by constant code again (`v3 += 0.5 * (j as f64);`).
    fn update_target(&mut self) {
        let pairs: Vec<String> = self
            .locals
            .iter()
            .filter(|l| l.flow && l.ranges.len() == 2)
            .map(|l| l.name.clone())
            .collect();
        if !pairs.is_empty() && self.rng.chance(0.8) {
            let name = self.rng.pick(&pairs).clone();
            let depth = 1 + self.rng.below(2);
            self.update_pair(&name, depth);
            return;
        }
        let name = self.any_target();
        let constant = self.local_constant(&name, 0) && self.rng.chance(0.6);
        let compound = self.rng.chance(0.7);
        let depth = 1 + self.rng.below(2);
        let outer = std::mem::replace(&mut self.constant_only, constant);
        self.update(&name, compound, depth);
        self.constant_only = outer;
    }

    /// `if c { .. } else if .. else { .. }` assigning outer variables. With
    /// a `jump`, the first arm ends in it (and no `else` does). The ranges
    /// after it are the hull of every arm's (and of none taken).
    pub(super) fn if_stmt(&mut self, jump: Option<Jump>) {
        let before = self.snapshot();
        // Fewer arms where one jumps: each other arm gets a copy of the
        // rest of the block (see `lowered_size`).
        let (arm_weights, else_chance) = match jump {
            Some(_) => ([8, 2, 0], 0.2),
            None => ([5, 3, 1], 0.6),
        };
        let n_arms = 1 + self.rng.weighted(&arm_weights);
        let has_else = self.rng.chance(else_chance);
        let mut after = Vec::new();
        let mut arms = Vec::new();
        for i in 0..n_arms {
            self.restore(&before);
            let taken: Vec<&Cond> = arms.iter().map(|(c, _)| c).collect();
            let cond = self.fresh_cond(&taken);
            let body = match jump {
                Some(jump) if i == 0 => self.jump_arm(jump),
                _ => self.block(Vec::new()),
            };
            after.push(self.snapshot());
            arms.push((cond, body));
        }
        let otherwise = if has_else {
            self.restore(&before);
            let body = self.block(Vec::new());
            after.push(self.snapshot());
            // An empty `else` is none (and clippy rejects it).
            Some(body).filter(|b| !b.is_empty())
        } else {
            after.push(before);
            None
        };
        self.hull(&after);
        self.finish(Stmt::If { arms, otherwise });
    }

    /// An arm that ends in `jump`, or in a deeper `if` whose arm does (then
    /// it may fall through too). An arm that returns holds nothing before
    /// its `return`: what it assigned there would go unread.
    fn jump_arm(&mut self, jump: Jump) -> Vec<Stmt> {
        if self.nest < 3 && self.rng.chance(0.35) {
            return self.scoped(Vec::new(), |g| {
                if g.rng.chance(0.5) {
                    g.block_statement();
                }
                g.if_stmt(Some(jump));
            });
        }
        let mut body = if jump == Jump::Return {
            Vec::new()
        } else {
            self.scoped(Vec::new(), |g| {
                for _ in 0..g.rng.below(3) {
                    g.block_statement();
                }
            })
        };
        body.push(match jump {
            Jump::Break => Stmt::Break,
            Jump::Continue => Stmt::Continue,
            // `None` more often in loops, where it is rarer.
            Jump::Return
                if self.fallible
                    && self
                        .rng
                        .chance(if self.loops.is_empty() { 0.4 } else { 0.7 }) =>
            {
                Stmt::ReturnNone
            }
            Jump::Return => self.return_stmt(),
        });
        body
    }

    /// `return e;`, `e` a flow target and more, in `[-CAP, CAP]`.
    fn return_stmt(&mut self) -> Stmt {
        let target = self.any_target();
        let current = self.read_local(&target);
        let depth = 1 + self.rng.below(2);
        let (other, other_range) = self.expr(depth, Any);
        let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul]);
        let range = op.range(self.range_of(&target), other_range);
        let sum = Expr::Binary(op, Box::new(current), Box::new(other));
        let (value, range) = self.fit(sum, range, Any);
        self.returns.push(range);
        Stmt::Return {
            value,
            some: self.fallible,
        }
    }

    /// A jump that may leave here: `return` anywhere, `break` and
    /// `continue` in a loop (`continue` not where it would skip the exit
    /// test of a `loop`).
    fn any_jump(&mut self) -> Jump {
        let w = &WEIGHTS;
        let (breaks, continues) = match self.loops.last() {
            Some(frame) => (1, u32::from(frame.continues)),
            None => (0, 0),
        };
        // Returns from a loop in a loop are rare otherwise.
        let returns = if self.loops.len() > 1 { 6 } else { 1 };
        self.pick(&[
            (breaks * w.jump_break, Jump::Break),
            (continues * w.jump_continue, Jump::Continue),
            (returns * w.jump_return, Jump::Return),
        ])
    }

    fn snapshot(&self) -> Snapshot {
        self.locals
            .iter()
            .map(|l| LocalState {
                ranges: l.ranges.clone(),
                constants: l.constants.clone(),
            })
            .collect()
    }

    fn restore(&mut self, states: &Snapshot) {
        for (local, state) in self.locals.iter_mut().zip(states) {
            local.ranges = state.ranges.clone();
            local.constants = state.constants.clone();
        }
    }

    /// Each local after a branch whose arms left `after`: its range is
    /// the hull of theirs; it may be constant, and assigned while constant,
    /// if it may in any arm (after a branch that jumps, the macro lowers
    /// the rest of the block once in each arm, with that arm's values).
    fn hull(&mut self, after: &[Snapshot]) {
        for (i, local) in self.locals.iter_mut().enumerate() {
            for j in 0..local.ranges.len() {
                let ends = after
                    .iter()
                    .flat_map(|a| [a[i].ranges[j].lo, a[i].ranges[j].hi]);
                local.ranges[j] = Range::hull(ends);
                local.constants[j] = after.iter().any(|a| a[i].constants[j]);
            }
        }
    }

    /// Pushes a branch, loop or match: what it assigned holds values not
    /// read yet.
    fn finish(&mut self, stmt: Stmt) {
        let mut names = Vec::new();
        stmt.assigned(&mut names);
        for l in self.locals.iter_mut().filter(|l| names.contains(&l.name)) {
            l.read = false;
            l.mutated = true;
        }
        for i in self.ints.iter_mut().filter(|i| names.contains(&i.name)) {
            i.read = false;
        }
        self.body.push(stmt);
    }

    /// `let v = if c { e1 } else if .. else { e2 };`.
    pub(super) fn let_if(&mut self, depth: usize) {
        let n_arms = 1 + self.rng.weighted(&[5, 3, 1]);
        let mut arms = Vec::new();
        let mut ranges = Vec::new();
        for _ in 0..n_arms {
            let taken: Vec<&Cond> = arms.iter().map(|(c, _)| c).collect();
            let cond = self.fresh_cond(&taken);
            let (e, r) = self.expr(depth, Any);
            ranges.push(r);
            arms.push((cond, e));
        }
        let (otherwise, r) = self.expr(depth, Any);
        ranges.push(r);
        let range = Range::hull(ranges.iter().flat_map(|r| [r.lo, r.hi]));
        let constant =
            self.is_constant(&otherwise) && arms.iter().all(|(_, e)| self.is_constant(e));
        let name = self.fresh();
        self.push_local(&name, vec![range], false, vec![constant]);
        self.body.push(Stmt::LetIf {
            name,
            arms,
            otherwise,
        });
    }

    /// Flow targets enter every pass anywhere in `[-CAP, CAP]` (each update
    /// keeps them there), so what a loop's body assumes holds for all.
    fn carry(&mut self) {
        for l in self.locals.iter_mut().filter(|l| l.flow) {
            l.ranges = vec![Range::new(-CAP, CAP); l.ranges.len()];
        }
    }

    /// Pushes a loop: after it (left by a `break` anywhere, or not), flow
    /// targets lie anywhere in `[-CAP, CAP]`.
    fn finish_loop(&mut self, stmt: Stmt) {
        self.loops.pop();
        self.carry();
        self.finish(stmt);
    }

    /// How many passes a loop makes at most.
    fn passes(&mut self) -> usize {
        2 + self.rng.below(3)
    }

    /// `for j in 0..n { .. }`, carrying outer variables between passes.
    pub(super) fn for_stmt(&mut self) {
        let n = self.passes();
        let var = LOOP_VARS[self.loops.len()];
        self.carry();
        self.loops.push(LoopFrame {
            passes: n,
            continues: true,
            body_nest: self.nest + 1,
        });
        let body = self.block(vec![IntLocal::bound(var, 0, n - 1)]);
        self.finish_loop(Stmt::For { var, n, body });
    }

    /// `let mut c = 0;`, a loop's counter, in `lo..=hi` from here.
    fn counter(&mut self, lo: usize, hi: usize) -> String {
        let name = self.fresh_with("c");
        self.body.push(Stmt::LetInt { name: name.clone() });
        self.ints.push(IntLocal {
            read: true,
            ..IntLocal::bound(&name, lo, hi)
        });
        name
    }

    fn set_range(&mut self, name: &str, lo: usize, hi: usize) {
        let int = self.int_mut(name);
        int.lo = lo;
        int.hi = hi;
    }

    /// `c += 1;`, a counter's count: a pass's first statement, so no
    /// `continue` skips it.
    fn count_pass(body: &mut Vec<Stmt>, counter: &str) {
        body.insert(
            0,
            Stmt::IntAdd {
                name: counter.to_string(),
                step: 1,
            },
        );
    }

    /// `while c < n { c += 1; .. }`, at times `while c < n && v3 > 0.5`
    /// (a test of a value the loop carries, which may end it sooner).
    pub(super) fn while_stmt(&mut self) {
        let n = self.passes();
        let counter = self.counter(0, n);
        self.carry();
        let mut cond = Cond::Int {
            name: counter.clone(),
            op: IntOp::Less,
            value: n,
        };
        if self.rng.chance(0.3) {
            cond = Cond::And(Box::new(cond), Box::new(self.float_cond()));
        }
        self.set_range(&counter, 1, n);
        self.loops.push(LoopFrame {
            passes: n,
            continues: true,
            body_nest: self.nest + 1,
        });
        let mut body = self.block(Vec::new());
        Self::count_pass(&mut body, &counter);
        self.finish_loop(Stmt::While { cond, body });
        self.set_range(&counter, 0, n);
    }

    /// `loop { c += 1; if c > n { break; } .. }`, or with the exit test
    /// `if c >= n { break; }` last (then no `continue` of this loop, which
    /// would skip it).
    pub(super) fn loop_stmt(&mut self) {
        let n = self.passes();
        let counter = self.counter(1, n);
        self.carry();
        let test_first = self.rng.chance(0.5);
        self.loops.push(LoopFrame {
            passes: n,
            continues: test_first,
            body_nest: self.nest + 1,
        });
        let exit = |op| Stmt::If {
            arms: vec![(
                Cond::Int {
                    name: counter.clone(),
                    op,
                    value: n,
                },
                vec![Stmt::Break],
            )],
            otherwise: None,
        };
        let mut body = if test_first {
            // Built after the test, which jumps.
            self.scoped(Vec::new(), |g| {
                g.body.push(exit(IntOp::Greater));
                g.block_statements();
            })
        } else {
            let mut body = self.block(Vec::new());
            body.push(exit(IntOp::AtLeast));
            body
        };
        Self::count_pass(&mut body, &counter);
        self.finish_loop(Stmt::Loop { body });
        self.set_range(&counter, 0, n + 1);
    }

    /// An integer to match on: `k`, a loop's variable, a counter, a tally.
    fn scrutinee(&mut self) -> IntLocal {
        let int = self.rng.pick(&self.ints).clone();
        self.int_mut(&int.name).read = true;
        int
    }

    /// The arms' patterns over the values of `on`, from its least up:
    /// `0`, `1 | 2`, `q3 if q3 > 2`, and last `_` or `q4`. Every arm but
    /// the last matches a value `on` takes.
    fn patterns(&mut self, on: &IntLocal) -> Vec<Pattern> {
        let mut next = on.lo;
        let mut patterns = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            if next > on.hi {
                break;
            }
            // How many values `on` takes past `next`.
            let room = on.hi - next;
            let pattern = match self.rng.below(3) {
                1 if room > 0 => Pattern::Values(vec![next, next + 1]),
                2 if room > 0 => Pattern::Guarded {
                    name: self.fresh_with("q"),
                    above: next + self.rng.below(room),
                },
                _ => Pattern::Values(vec![next]),
            };
            if let Pattern::Values(values) = &pattern {
                next += values.len();
            }
            patterns.push(pattern);
        }
        patterns.push(if self.rng.chance(0.3) {
            Pattern::Bind(self.fresh_with("q"))
        } else {
            Pattern::Wild
        });
        patterns
    }

    /// `match on { 0 => { .. } 1 | 2 => { .. } q if q > 2 => { .. } _ => {} }`
    /// assigning outer variables. An arm without a binding may end in a
    /// jump, but not the last. The ranges after it are the hull of every
    /// arm's.
    pub(super) fn match_stmt(&mut self) {
        let on = self.scrutinee();
        let patterns = self.patterns(&on);
        let last = patterns.len() - 1;
        let before = self.snapshot();
        let mut after = Vec::new();
        let mut arms = Vec::new();
        for (i, pattern) in patterns.into_iter().enumerate() {
            self.restore(&before);
            let bound = binding(&pattern, &on);
            let body = if bound.is_some() {
                self.block(bound.into_iter().collect())
            } else if i < last && self.nest < 3 && self.rng.chance(0.3) {
                let jump = self.any_jump();
                self.jump_arm(jump)
            } else if i == last && self.rng.chance(0.4) {
                Vec::new()
            } else {
                self.block(Vec::new())
            };
            after.push(self.snapshot());
            arms.push((pattern, body));
        }
        self.hull(&after);
        self.finish(Stmt::Match { on: on.name, arms });
    }

    /// `let v = match on { 0 => e1, 1 | 2 => e2, q if q > 2 => e3, _ => e4 };`,
    /// an arm that binds a name reading it.
    pub(super) fn let_match(&mut self, depth: usize) {
        let on = self.scrutinee();
        let mut arms = Vec::new();
        let mut ranges = Vec::new();
        for pattern in self.patterns(&on) {
            let (e, r) = match binding(&pattern, &on) {
                Some(int) => self.reading(int, depth),
                None => self.expr(depth, Any),
            };
            ranges.push(r);
            arms.push((pattern, e));
        }
        let range = Range::hull(ranges.iter().flat_map(|r| [r.lo, r.hi]));
        let constant = arms.iter().all(|(_, e)| self.is_constant(e));
        let name = self.fresh();
        self.push_local(&name, vec![range], false, vec![constant]);
        self.body.push(Stmt::LetMatch {
            name,
            on: on.name,
            arms,
        });
    }

    /// An expression with `int` in scope that reads it: `e + 0.4 * (q as f64)`
    /// unless `e` does already.
    fn reading(&mut self, int: IntLocal, depth: usize) -> (Expr, Range) {
        let name = int.name.clone();
        self.ints.push(int);
        let (e, r) = self.expr(depth, Any);
        let drawn = if self.int_mut(&name).read {
            (e, r)
        } else {
            let (term, term_range) = self.scaled_int(&name);
            let sum = Expr::Binary(BinOp::Add, Box::new(e), Box::new(term));
            self.fit(sum, BinOp::Add.range(r, term_range), Any)
        };
        self.ints.pop();
        drawn
    }

    /// `let mut m = 0;`, an integer that branches and loops count up.
    pub(super) fn tally(&mut self) {
        let name = self.fresh_with("m");
        self.body.push(Stmt::LetInt { name: name.clone() });
        self.ints.push(IntLocal {
            read: true,
            tally: true,
            ..IntLocal::bound(&name, 0, TALLY_MAX)
        });
    }

    /// `m += step;` on a tally, or (if every pass of the loops around it
    /// could take it past [`TALLY_MAX`]) an update of a flow target.
    fn count_up(&mut self) {
        let tallies: Vec<String> = self
            .ints
            .iter()
            .filter(|i| i.tally)
            .map(|i| i.name.clone())
            .collect();
        let name = self.rng.pick(&tallies).clone();
        let step = 1 + self.rng.below(2);
        let passes: usize = self.loops.iter().map(|l| l.passes).product();
        let tally = self.int_mut(&name);
        if tally.count + step * passes > TALLY_MAX {
            return self.update_target();
        }
        tally.count += step * passes;
        tally.read = false;
        self.body.push(Stmt::IntAdd { name, step });
    }

    /// Counts each tally nothing counted up once (else its `mut` is needless).
    pub(super) fn count_idle_tallies(&mut self) {
        for i in 0..self.ints.len() {
            if self.ints[i].tally && self.ints[i].count == 0 {
                self.ints[i].count = 1;
                self.ints[i].read = false;
                let name = self.ints[i].name.clone();
                self.body.push(Stmt::IntAdd { name, step: 1 });
            }
        }
    }

    /// A condition unlike those of the arms before it (`taken`): clippy
    /// rejects a chain that tests one thing twice.
    fn fresh_cond(&mut self, taken: &[&Cond]) -> Cond {
        for _ in 0..16 {
            let reads = self.read_flags();
            let cond = self.cond();
            if !taken
                .iter()
                .any(|c| format!("{c:?}") == format!("{cond:?}"))
            {
                return cond;
            }
            // Discarded: what it read is unread again.
            self.set_read_flags(reads);
        }
        self.float_cond()
    }

    /// Whether each local and each integer has been read.
    fn read_flags(&self) -> (Vec<bool>, Vec<bool>) {
        (
            self.locals.iter().map(|l| l.read).collect(),
            self.ints.iter().map(|i| i.read).collect(),
        )
    }

    fn set_read_flags(&mut self, (locals, ints): (Vec<bool>, Vec<bool>)) {
        for (l, read) in self.locals.iter_mut().zip(locals) {
            l.read = read;
        }
        for (i, read) in self.ints.iter_mut().zip(ints) {
            i.read = read;
        }
    }

    /// A branch's condition: on values mostly, on an integer at times.
    fn cond(&mut self) -> Cond {
        if !self.ints.is_empty() && self.rng.chance(0.25) {
            return self.int_cond();
        }
        self.float_cond()
    }

    /// A test of an integer in scope that some of its values pass and
    /// some fail (none that Rust sees is always true, as `j < 0` is).
    fn int_cond(&mut self) -> Cond {
        let int = self.scrutinee();
        let op = if int.lo == int.hi {
            *self.rng.pick(&[IntOp::Equal, IntOp::NotEqual])
        } else {
            *self.rng.pick(&[
                IntOp::Less,
                IntOp::Greater,
                IntOp::Equal,
                IntOp::NotEqual,
                IntOp::Odd,
            ])
        };
        let value = match op {
            // `< lo + 1 ..= hi`, `> lo ..= hi - 1`.
            IntOp::Less => int.lo + 1 + self.rng.below(int.hi - int.lo),
            IntOp::Greater => int.lo + self.rng.below(int.hi - int.lo),
            // One value, so two arms that test oddness are seen alike.
            IntOp::Odd => 1,
            _ => int.lo + self.rng.below(int.hi - int.lo + 1),
        };
        Cond::Int {
            name: int.name,
            op,
            value,
        }
    }

    /// A comparison of a value with a literal inside its range (so both
    /// arms are taken at some points) or with another value.
    fn float_cond(&mut self) -> Cond {
        let less = self.rng.chance(0.5);
        for _ in 0..16 {
            let reads = self.read_flags();
            let depth = self.rng.below(2);
            let (lhs, r) = self.expr(depth, Any);
            if !lhs.typed() || r.hi - r.lo < 0.05 {
                // Discarded: what it read is unread again.
                self.set_read_flags(reads);
                continue;
            }
            let rhs = if self.rng.chance(0.7) {
                let w = r.hi - r.lo;
                Expr::Literal(round2(self.rng.uniform(r.lo + 0.3 * w, r.hi - 0.3 * w)))
            } else {
                let (rhs, _) = self.leaf();
                if format!("{rhs:?}") == format!("{lhs:?}") {
                    // The same value: compare it with 0.0 instead.
                    Expr::Literal(0.0)
                } else {
                    rhs
                }
            };
            return Cond::Compare { lhs, less, rhs };
        }
        Cond::Compare {
            lhs: Expr::Input(Input::Scalar(if self.arity.is_some() { "u0" } else { "x" })),
            less,
            rhs: Expr::Literal(round2(self.rng.uniform(-0.5, 0.5))),
        }
    }
}

/// The integer an arm's pattern binds, if any, with the values it takes
/// there (its least above the guard's bound).
fn binding(pattern: &Pattern, on: &IntLocal) -> Option<IntLocal> {
    match pattern {
        Pattern::Guarded { name, above } => {
            let lo = (above + 1).max(on.lo);
            Some(IntLocal::bound(name, lo, on.hi.max(lo)))
        }
        Pattern::Bind(name) => Some(IntLocal::bound(name, on.lo, on.hi)),
        Pattern::Values(_) | Pattern::Wild => None,
    }
}
