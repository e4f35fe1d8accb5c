//! Stage 4: which values the reverse sweep needs, and how often.
//!
//! A variable is *varied* when it depends on an active argument (decided
//! while lowering) and *useful* when it also reaches the result; only steps
//! whose result is useful get a reverse step. The use count of a variable is
//! the number of adjoint contributions it receives: with one, its adjoint is
//! bound once; with more, the first binds it and the others add in place.

use crate::ir::{Binding, Func, Value};

/// What the emitter needs to know about every variable.
pub struct Analysis {
    /// Varied and reaching the result.
    pub useful: Vec<bool>,
    /// The number of adjoint contributions each variable receives.
    pub uses: Vec<usize>,
    /// Whether any adjoint reaches each argument.
    pub param_reached: Vec<bool>,
}

pub fn analyse(func: &Func) -> Analysis {
    let mut a = Analysis {
        useful: vec![false; func.vars.len()],
        uses: vec![0; func.vars.len()],
        param_reached: vec![false; func.params.len()],
    };
    result_uses(func, &func.result, &mut a);
    for step in func.steps().rev() {
        if !a.useful[step.out.0] {
            continue;
        }
        for (_, operand) in step.op.operands() {
            use_value(func, &operand.value, &mut a);
        }
    }
    a
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
