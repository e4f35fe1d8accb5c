//! Programs as Rust source, in two dialects: the `#[differentiable]`
//! function over `f64` as a user writes it (methods in method or path
//! form), and its twin over num-dual's `Dual64`, where every rule is a call
//! of the support crate's `dual::NAME`, literals are constants `c(..)`,
//! `no_grad` drops the derivative part and `a / b` is `div(a, b)` (which
//! divides as `f64` does). Integers, conditions on them, loops, jumps and
//! `match` read the same in both.

use std::fmt::Write;

use crate::grammar::{ARGS, BinOp, Cond, Constant, Expr, Input, IntOp, Pattern, Program, Stmt};

/// Which function a body is written for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The `#[differentiable]` function over `f64`.
    Float,
    /// Its forward-mode twin over `Dual64`.
    Dual,
}

/// Where an expression stands, for parentheses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A statement's value, a function's argument: no parentheses needed.
    Top,
    /// An operand of an operator.
    Operand,
    /// The receiver of a method call.
    Receiver,
}

fn literal(x: f64) -> String {
    // `{:?}` keeps a decimal point (`2.0`), so the literal is a float.
    format!("{x:?}")
}

fn input(i: &Input) -> String {
    let place = |field: &str| match field {
        "a" | "s" => field.to_string(),
        other => format!("p.{other}"),
    };
    match i {
        Input::Scalar(name) => name.to_string(),
        Input::Element(field, i) => format!("{}[{i}]", place(field)),
        Input::AtK(field) => format!("{}[k]", place(field)),
        Input::Field(field) => format!("p.{field}"),
        Input::AtInt(field, int) => format!("{}[{int}]", place(field)),
    }
}

/// `e` as source in `dialect`.
pub fn expr(e: &Expr, dialect: Dialect) -> String {
    render(e, dialect, Place::Top)
}

fn render(e: &Expr, dialect: Dialect, place: Place) -> String {
    let float = dialect == Dialect::Float;
    let wrap = |s: String, needed: bool| if needed { format!("({s})") } else { s };
    match e {
        Expr::Local(name) => name.clone(),
        Expr::TupleField(name, i) => format!("{name}.{i}"),
        Expr::Input(i) => input(i),
        Expr::Literal(x) if float => wrap(literal(*x), *x < 0.0 && place != Place::Top),
        Expr::Literal(x) => format!("d::c({})", literal(*x)),
        Expr::Constant(Constant::Path(path)) if float => path.to_string(),
        Expr::Constant(Constant::Path(path)) => format!("d::c({path})"),
        Expr::Constant(Constant::Cast(int)) if float => {
            wrap(format!("{int} as f64"), place != Place::Top)
        }
        Expr::Constant(Constant::Cast(int)) => format!("d::c({int} as f64)"),
        Expr::Call {
            name,
            args,
            question,
        } => {
            let rendered: Vec<String> = args
                .iter()
                .map(|a| render(a, dialect, Place::Top))
                .collect();
            let suffix = if float { "" } else { "_dual" };
            let question = if *question { "?" } else { "" };
            format!("{name}{suffix}({}){question}", rendered.join(", "))
        }
        Expr::NoGrad(inner) if float => format!("no_grad({})", render(inner, dialect, Place::Top)),
        Expr::NoGrad(inner) => format!("d::no_grad({})", render(inner, dialect, Place::Top)),
        Expr::Neg(inner) => {
            let s = format!("-{}", render(inner, dialect, Place::Operand));
            wrap(s, place == Place::Receiver)
        }
        Expr::Binary(BinOp::Div, a, b) if !float => format!(
            "d::div({}, {})",
            render(a, dialect, Place::Top),
            render(b, dialect, Place::Top)
        ),
        Expr::Binary(op, a, b) => {
            let s = format!(
                "{} {} {}",
                render(a, dialect, Place::Operand),
                op.token(),
                render(b, dialect, Place::Operand)
            );
            wrap(s, place != Place::Top)
        }
        Expr::Method {
            name,
            path_form,
            args,
        } => {
            let rendered: Vec<String> = args
                .iter()
                .map(|a| render(a, dialect, Place::Top))
                .collect();
            if !float {
                return format!("d::{name}({})", rendered.join(", "));
            }
            if *path_form || !args[0].typed() {
                format!("f64::{name}({})", rendered.join(", "))
            } else {
                let receiver = render(&args[0], dialect, Place::Receiver);
                format!("{receiver}.{name}({})", rendered[1..].join(", "))
            }
        }
        Expr::Powi { base, n, path_form } => {
            if !float {
                return format!("d::powi({}, {n})", render(base, dialect, Place::Top));
            }
            if *path_form || !base.typed() {
                format!("f64::powi({}, {n})", render(base, dialect, Place::Top))
            } else {
                format!("{}.powi({n})", render(base, dialect, Place::Receiver))
            }
        }
    }
}

/// A condition: the values compared (a dual number by its value).
fn cond(c: &Cond, dialect: Dialect) -> String {
    match c {
        Cond::Compare { lhs, less, rhs } => compare(lhs, *less, rhs, dialect),
        Cond::Int { name, op, value } => match op {
            IntOp::Less => format!("{name} < {value}"),
            IntOp::Greater => format!("{name} > {value}"),
            IntOp::AtLeast => format!("{name} >= {value}"),
            IntOp::Equal => format!("{name} == {value}"),
            IntOp::NotEqual => format!("{name} != {value}"),
            IntOp::Odd => format!("{name} % 2 == 1"),
        },
        Cond::And(a, b) => format!("{} && {}", cond(a, dialect), cond(b, dialect)),
    }
}

fn compare(lhs: &Expr, less: bool, rhs: &Expr, dialect: Dialect) -> String {
    let op = if less { "<" } else { ">" };
    if dialect == Dialect::Float {
        let rhs = if rhs.is_literal() {
            render(rhs, dialect, Place::Top)
        } else {
            render(rhs, dialect, Place::Operand)
        };
        format!("{} {op} {rhs}", render(lhs, dialect, Place::Operand))
    } else {
        format!(
            "{}.re {op} {}.re",
            render(lhs, dialect, Place::Receiver),
            render(rhs, dialect, Place::Receiver)
        )
    }
}

/// A match arm's pattern.
fn pattern(p: &Pattern) -> String {
    match p {
        Pattern::Values(values) => values
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" | "),
        Pattern::Guarded { name, above } => format!("{name} if {name} > {above}"),
        Pattern::Bind(name) => name.clone(),
        Pattern::Wild => "_".to_string(),
    }
}

/// Statements, one a line (a block's over several), at `indent` levels.
fn stmts(out: &mut String, list: &[Stmt], dialect: Dialect, indent: usize) {
    let pad = "    ".repeat(indent);
    for s in list {
        let _ = writeln!(out, "{pad}{}", stmt(s, dialect, indent));
    }
}

/// The scalar type of a dialect.
fn scalar(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Float => "f64",
        Dialect::Dual => "Dual64",
    }
}

/// The type a `let` of `values` writes out: none if Rust knows it, else
/// the scalar's (a value of literals alone has no type of its own).
fn written_type(values: &[&Expr], dialect: Dialect) -> String {
    let scalar = scalar(dialect);
    if values.iter().any(|v| v.typed()) && (values.len() == 1 || values.iter().all(|v| v.typed())) {
        String::new()
    } else if values.len() == 1 {
        format!(": {scalar}")
    } else {
        format!(": ({scalar}, {scalar})")
    }
}

/// `head {`, the statements of `body` a level in, and `}` at `indent`.
fn braced(head: &str, body: &[Stmt], dialect: Dialect, indent: usize) -> String {
    let mut s = format!("{head}{{\n");
    stmts(&mut s, body, dialect, indent + 1);
    let _ = write!(s, "{}}}", "    ".repeat(indent));
    s
}

/// One statement, its first line unpadded, its others at `indent`.
fn stmt(stmt: &Stmt, dialect: Dialect, indent: usize) -> String {
    let pad = "    ".repeat(indent);
    match stmt {
        Stmt::Let {
            name,
            mutable,
            value,
        } => format!(
            "let {}{name}{} = {};",
            if *mutable { "mut " } else { "" },
            written_type(&[value], dialect),
            expr(value, dialect)
        ),
        Stmt::Assign { name, value } => format!("{name} = {};", expr(value, dialect)),
        Stmt::Compound {
            name,
            op: BinOp::Div,
            value,
        } if dialect == Dialect::Dual => {
            format!("{name} = d::div({name}, {});", expr(value, dialect))
        }
        Stmt::Compound { name, op, value } => {
            format!("{name} {}= {};", op.token(), expr(value, dialect))
        }
        Stmt::LetTuple { names, values } => format!(
            "let ({}, {}){} = {};",
            names[0],
            names[1],
            written_type(&[&values[0], &values[1]], dialect),
            pair(values, dialect)
        ),
        Stmt::LetPair {
            name,
            mutable,
            values,
        } => format!(
            "let {}{name}{} = {};",
            if *mutable { "mut " } else { "" },
            written_type(&[&values[0], &values[1]], dialect),
            pair(values, dialect)
        ),
        Stmt::AssignPair { name, values } => format!("{name} = {};", pair(values, dialect)),
        Stmt::Block {
            name,
            inner,
            value,
            tail,
        } => format!(
            "let {name} = {{\n{pad}    let {inner}{} = {};\n{pad}    {}\n{pad}}};",
            written_type(&[value], dialect),
            expr(value, dialect),
            expr(tail, dialect)
        ),
        Stmt::LetIf {
            name,
            arms,
            otherwise,
        } => let_if(name, arms, otherwise, dialect),
        Stmt::If { arms, otherwise } => if_chain(arms, otherwise.as_deref(), dialect, indent),
        Stmt::For { var, n, body } => {
            braced(&format!("for {var} in 0..{n} "), body, dialect, indent)
        }
        Stmt::While { cond: c, body } => braced(
            &format!("while {} ", cond(c, dialect)),
            body,
            dialect,
            indent,
        ),
        Stmt::Loop { body } => braced("loop ", body, dialect, indent),
        Stmt::LetInt { name } => format!("let mut {name} = 0;"),
        Stmt::IntAdd { name, step } => format!("{name} += {step};"),
        Stmt::Break => "break;".to_string(),
        Stmt::Continue => "continue;".to_string(),
        Stmt::Return { value, some: false } => format!("return {};", expr(value, dialect)),
        Stmt::Return { value, some: true } => format!("return Some({});", expr(value, dialect)),
        Stmt::ReturnNone => "return None;".to_string(),
        Stmt::Match { on, arms } => match_stmt(on, arms, dialect, indent),
        Stmt::LetMatch { name, on, arms } => let_match(name, on, arms, dialect, indent),
    }
}

/// `(e1, e2)`.
fn pair(values: &[Expr; 2], dialect: Dialect) -> String {
    format!(
        "({}, {})",
        expr(&values[0], dialect),
        expr(&values[1], dialect)
    )
}

/// `if c { .. } else if c2 { .. } else { .. }`.
fn if_chain(
    arms: &[(Cond, Vec<Stmt>)],
    otherwise: Option<&[Stmt]>,
    dialect: Dialect,
    indent: usize,
) -> String {
    let mut s = String::new();
    for (i, (c, body)) in arms.iter().enumerate() {
        let head = format!(
            "{}if {} ",
            if i > 0 { " else " } else { "" },
            cond(c, dialect)
        );
        s.push_str(&braced(&head, body, dialect, indent));
    }
    if let Some(body) = otherwise {
        s.push_str(&braced(" else ", body, dialect, indent));
    }
    s
}

/// `match on { pattern => { .. } .. }`, an empty arm as `pattern => {}`.
fn match_stmt(on: &str, arms: &[(Pattern, Vec<Stmt>)], dialect: Dialect, indent: usize) -> String {
    let pad = "    ".repeat(indent);
    let mut s = format!("match {on} {{\n");
    for (p, body) in arms {
        let arm = if body.is_empty() {
            format!("{} => {{}}", pattern(p))
        } else {
            braced(&format!("{} => ", pattern(p)), body, dialect, indent + 1)
        };
        let _ = writeln!(s, "{pad}    {arm}");
    }
    let _ = write!(s, "{pad}}}");
    s
}

/// `let name = match on { pattern => e, .. };`, an arm a line.
fn let_match(
    name: &str,
    on: &str,
    arms: &[(Pattern, Expr)],
    dialect: Dialect,
    indent: usize,
) -> String {
    let pad = "    ".repeat(indent);
    let values: Vec<&Expr> = arms.iter().map(|(_, e)| e).collect();
    let typed = if values.iter().any(|v| v.typed()) {
        String::new()
    } else {
        format!(": {}", scalar(dialect))
    };
    let mut s = format!("let {name}{typed} = match {on} {{\n");
    for (p, e) in arms {
        let _ = writeln!(s, "{pad}    {} => {},", pattern(p), expr(e, dialect));
    }
    let _ = write!(s, "{pad}}};");
    s
}

/// `let name = if c { e1 } else if c2 { e2 } else { e3 };` on one line.
fn let_if(name: &str, arms: &[(Cond, Expr)], otherwise: &Expr, dialect: Dialect) -> String {
    let values: Vec<&Expr> = arms.iter().map(|(_, e)| e).chain([otherwise]).collect();
    let typed = if values.iter().any(|v| v.typed()) {
        String::new()
    } else {
        format!(": {}", scalar(dialect))
    };
    let mut s = format!("let {name}{typed} = ");
    for (i, (c, e)) in arms.iter().enumerate() {
        let _ = write!(
            s,
            "{}if {} {{ {} }} ",
            if i > 0 { "else " } else { "" },
            cond(c, dialect),
            expr(e, dialect)
        );
    }
    let _ = write!(s, "else {{ {} }};", expr(otherwise, dialect));
    s
}

/// The statements and final expression of a program's body.
pub fn body(program: &Program, dialect: Dialect) -> String {
    let mut out = String::new();
    stmts(&mut out, &program.body, dialect, 1);
    let mut result = expr(&program.result, dialect);
    if program.fallible {
        result = format!("Some({result})");
    }
    if program.explicit_return {
        let _ = writeln!(out, "    return {result};");
    } else {
        let _ = writeln!(out, "    {result}");
    }
    out
}

/// The `#[differentiable]` function.
pub fn differentiable(program: &Program) -> String {
    let attr = match &program.signature.wrt {
        None => "#[differentiable]".to_string(),
        Some(wrt) => format!("#[differentiable(wrt({}))]", wrt.join(", ")),
    };
    let allow = if program.explicit_return {
        "\n#[allow(clippy::needless_return)]"
    } else {
        ""
    };
    let args = match program.arity {
        Some(arity) => helper_args(arity, "f64"),
        None => "p: &Params, x: f64, y: f64, a: [f64; 3], s: &[f64], k: usize".to_string(),
    };
    format!(
        "{attr}{allow}\npub fn {}({args}) -> {} {{\n{}}}\n",
        program.name,
        result_type(program, "f64"),
        body(program, Dialect::Float)
    )
}

/// `f64` (`Dual64`), or `Option<f64>` for a function that may stop early.
fn result_type(program: &Program, scalar: &str) -> String {
    if program.fallible {
        format!("Option<{scalar}>")
    } else {
        scalar.to_string()
    }
}

fn helper_args(arity: usize, ty: &str) -> String {
    (0..arity)
        .map(|i| format!("u{i}: {ty}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A helper: the `#[differentiable]` function and its dual twin (which no
/// program may happen to call: the function's own generated code uses it).
pub fn helper(program: &Program) -> String {
    let arity = program.arity.expect("a helper");
    let mut out = differentiable(program);
    let _ = write!(
        out,
        "\n#[allow(clippy::needless_return, dead_code)]\npub fn {}_dual({}) -> {} {{\n{}}}\n",
        program.name,
        helper_args(arity, "Dual64"),
        result_type(program, "Dual64"),
        body(program, Dialect::Dual)
    );
    out
}

/// The arguments a program differentiates, in order.
pub fn active(program: &Program) -> Vec<&'static str> {
    match &program.signature.wrt {
        None => ARGS.to_vec(),
        Some(wrt) => ARGS.iter().copied().filter(|a| wrt.contains(a)).collect(),
    }
}

/// How many flat inputs an argument has.
pub fn flat_len(arg: &str) -> usize {
    match arg {
        "p" => 11,
        "x" | "y" => 1,
        "a" => 3,
        "s" => 4,
        other => panic!("no argument {other}"),
    }
}

/// Everything generated for one program: the function, its dual twin, and
/// the adapters the test calls.
pub fn program(program: &Program) -> String {
    let name = &program.name;
    let mut out = differentiable(program);
    let _ = write!(
        out,
        "\n#[allow(clippy::needless_return)]\npub fn {name}_dual(p: &ParamsD, x: Dual64, y: Dual64, a: [Dual64; 3], s: &[Dual64], k: usize) -> {} {{\n{}}}\n",
        result_type(program, "Dual64"),
        body(program, Dialect::Dual)
    );
    let active = active(program);
    let pattern = if active.len() == 1 {
        format!("g_{}", active[0])
    } else {
        format!(
            "({})",
            active
                .iter()
                .map(|a| format!("g_{a}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    // Both sides as `Option`s, whatever the program returns.
    let wrap = if program.fallible { "" } else { ".into()" };
    let mut grads = String::new();
    for a in &active {
        let line = match *a {
            "p" => {
                "grads.extend(g_p.flat().into_iter().enumerate().map(|(j, d)| (layout::P + j, d)));"
                    .to_string()
            }
            "x" => "grads.push((layout::X, g_x));".to_string(),
            "y" => "grads.push((layout::Y, g_y));".to_string(),
            "a" => "grads.extend(g_a.into_iter().enumerate().map(|(j, d)| (layout::A + j, d)));"
                .to_string(),
            "s" => "grads.extend(g_s.into_iter().enumerate().map(|(j, d)| (layout::S + j, d)));"
                .to_string(),
            other => panic!("no argument {other}"),
        };
        let _ = write!(grads, "\n    {line}");
    }
    let _ = write!(
        out,
        "
fn {name}_run(v: &[f64], k: usize) -> Run {{
    let (p, x, y, a, s) = unpack(v);
    let value = {name}(&p, x, y, a, &s, k){wrap};
    let Some((grad_value, {pattern})) = {name}_grad(&p, x, y, a, &s, k){wrap} else {{
        return Run {{ value, grad_value: None, grads: Vec::new() }};
    }};
    let mut grads = Vec::new();{grads}
    Run {{ value, grad_value: Some(grad_value), grads }}
}}

fn {name}_dual_run(v: &[Dual64], k: usize) -> Option<Dual64> {{
    let (p, x, y, a, s) = unpack_dual(v);
    {name}_dual(&p, x, y, a, &s, k){wrap}
}}
"
    );
    out
}

/// The entry of a program in the `PROGRAMS` table.
pub fn table_entry(program: &Program) -> String {
    let name = &program.name;
    let active: usize = active(program).iter().map(|a| flat_len(a)).sum();
    format!(
        "    Program {{ name: \"{name}\", source: r#\"{}\"#, ops: {}, active: {active}, run: {name}_run, dual: {name}_dual_run }},\n",
        differentiable(program),
        program.ops()
    )
}
