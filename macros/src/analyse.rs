//! Stage 4: which values the reverse sweep needs, and how often.
//!
//! A variable is *varied* when it depends on an active argument (decided
//! while lowering) and *useful* when it also reaches the result; only steps
//! whose result is useful get a reverse step. The use count of a variable is
//! the number of adjoint contributions it receives: with one, its adjoint is
//! bound once; with more, the first binds it and the others add in place.
//!
//! The reverse sweep runs in the frame of the forward sweep, so it reads
//! forward values where they are. A variable it reads, or that the function
//! returns, is *kept*: the forward sweep must not move it into an operator
//! (which then gets a borrow of it instead).

use crate::ir::{BinOp, Binding, Block, Func, Op, Stmt, Value};
use crate::rules::Saved;

/// What the emitter needs to know about every variable.
pub struct Analysis {
    /// Varied and reaching the result.
    pub useful: Vec<bool>,
    /// The number of adjoint contributions each variable receives.
    pub uses: Vec<usize>,
    /// Whether any adjoint reaches each argument.
    pub param_reached: Vec<bool>,
    /// Read by the reverse sweep or returned: must outlive the forward sweep.
    pub kept: Vec<bool>,
}

pub fn analyse(func: &Func) -> Analysis {
    let mut a = Analysis {
        useful: vec![false; func.vars.len()],
        uses: vec![0; func.vars.len()],
        param_reached: vec![false; func.params.len()],
        kept: vec![false; func.vars.len()],
    };
    result_uses(func, &func.result, &mut a);
    keep_binding(&func.result, &mut a.kept);
    block(func, &func.body, &mut a);
    a
}

/// Walks a block backwards, as the reverse sweep runs it.
fn block(func: &Func, block: &Block, a: &mut Analysis) {
    for stmt in block.stmts.iter().rev() {
        match stmt {
            Stmt::Step(step) => self::step(func, step, a),
            Stmt::Verbatim(_) => {}
            Stmt::Branch(branch) => {
                for region in &branch.arms {
                    for (out, result) in branch.outs.iter().zip(&region.results) {
                        if a.useful[out.0] {
                            use_value(func, result, a);
                        }
                    }
                    self::block(func, &region.block, a);
                    // The reverse sweep reads what the arm kept.
                    inputs_of(&region.block, &mut a.kept, true);
                }
                a.kept[branch.head.var().0] = true;
            }
            Stmt::Loop(lp) => {
                // What the loop gives to the rest flows back through every
                // iteration to what it starts from: repeat until nothing new
                // becomes useful (a carried value can feed another).
                loop {
                    let before = a.useful.clone();
                    for (k, (phi, out)) in lp.phis.iter().zip(&lp.outs).enumerate() {
                        if a.useful[out.0] || a.useful[phi.0] {
                            a.useful[phi.0] = true;
                            a.useful[out.0] = true;
                            use_value(func, &lp.body.results[k], a);
                        }
                    }
                    self::block(func, &lp.body.block, a);
                    if a.useful == before {
                        break;
                    }
                }
                for (init, out) in lp.inits.iter().zip(&lp.outs) {
                    if a.useful[out.0] {
                        use_value(func, init, a);
                    }
                }
                // Each pass keeps what its steps read on the stack (and
                // reads it in place, so nothing moves it first).
                inputs_of(&lp.body.block, &mut a.kept, false);
                lp.outs.iter().for_each(|v| a.kept[v.0] = true);
            }
        }
    }
}

fn step(func: &Func, step: &crate::ir::Step, a: &mut Analysis) {
    if !a.useful[step.out.0] {
        return;
    }
    for (_, operand) in step.op.operands() {
        use_value(func, &operand.value, a);
    }
    let mut keep = |value: &Value| keep_value(value, &mut a.kept);
    match &step.op {
        Op::Method { rule, args, .. } => {
            for saved in rule.saves {
                match saved {
                    Saved::Input(i) | Saved::Value(i) => keep(&args[*i].value),
                    Saved::Output => keep(&Value::Var(step.out)),
                    // The shape is taken before the call; the value may go.
                    Saved::Dim(_) => {}
                }
            }
        }
        // A call's reverse runs the callee again on the same arguments.
        Op::Call { args, .. } => args.iter().for_each(|a| keep(&a.value)),
        Op::Join { parts, .. } => parts.iter().for_each(|a| keep(&a.value)),
        Op::MethodCall { args, .. } => args.iter().for_each(|a| keep(&a.value)),
        // An element's adjoint lands in a container's adjoint, which starts
        // as zeros shaped like the container.
        Op::Index { base, .. } => keep(&base.value),
        Op::Const(_)
        | Op::Neg(_)
        | Op::Binary(..)
        | Op::SetIndex { .. }
        | Op::Push { .. }
        | Op::Array(_) => {}
    }
}

fn keep_value(value: &Value, kept: &mut [bool]) {
    if let Value::Var(v) = value {
        kept[v.0] = true;
    }
}

/// Marks every variable a block reads as kept (what is defined inside is
/// marked too: it is kept for the backward pass). A container written into
/// moves into its next version, unless the block is an arm (`in_arm`), whose
/// backward pass starts the adjoints of what it reads from outside at zeros
/// shaped like them.
fn inputs_of(block: &Block, kept: &mut [bool], in_arm: bool) {
    for stmt in &block.stmts {
        match stmt {
            Stmt::Step(step) => match &step.op {
                Op::SetIndex { value, .. } | Op::Push { value, .. } if !in_arm => {
                    keep_value(&value.value, kept)
                }
                // `+` and `-` keep their operands' shapes, not the operands.
                Op::Binary(BinOp::Add | BinOp::Sub, ..) => {}
                op => op
                    .operands()
                    .into_iter()
                    .for_each(|(_, o)| keep_value(&o.value, kept)),
            },
            Stmt::Verbatim(_) => {}
            Stmt::Branch(branch) => {
                kept[branch.head.var().0] = true;
                for region in &branch.arms {
                    inputs_of(&region.block, kept, true);
                }
            }
            Stmt::Loop(lp) => {
                inputs_of(&lp.body.block, kept, in_arm);
                lp.inits
                    .iter()
                    .chain(&lp.body.results)
                    .for_each(|v| keep_value(v, kept));
            }
        }
    }
}

fn keep_binding(binding: &Binding, kept: &mut [bool]) {
    match binding {
        Binding::Value(o) => {
            if let Value::Var(v) = o.value {
                kept[v.0] = true;
            }
        }
        Binding::Tuple(items) => items.iter().for_each(|b| keep_binding(b, kept)),
    }
}

fn result_uses(func: &Func, binding: &Binding, a: &mut Analysis) {
    match binding {
        Binding::Value(o) => use_value(func, &o.value, a),
        Binding::Tuple(items) => items.iter().for_each(|b| result_uses(func, b, a)),
    }
}

fn use_value(func: &Func, value: &Value, a: &mut Analysis) {
    if !func.varied(value) {
        return;
    }
    match value {
        Value::Var(v) => {
            a.useful[v.0] = true;
            a.uses[v.0] += 1;
        }
        Value::Place(p) => a.param_reached[p.param] = true,
        Value::Const(_) => {}
    }
}
