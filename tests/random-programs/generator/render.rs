//! Programs as Rust source, in two dialects: the `#[differentiable]`
//! function over `f64` as a user writes it (methods in method or path
//! form), and its twin over num-dual's `Dual64`, where every rule is a call
//! of the support crate's `dual::NAME`, literals are constants `c(..)` and
//! `no_grad` drops the derivative part.

use std::fmt::Write;

use crate::grammar::{ARGS, Constant, Expr, Input, Program, Stmt};

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
        Expr::Constant(Constant::Path(path, _)) if float => path.to_string(),
        Expr::Constant(Constant::Path(path, _)) => format!("d::c({path})"),
        Expr::Constant(Constant::CastK) if float => {
            wrap("k as f64".to_string(), place != Place::Top)
        }
        Expr::Constant(Constant::CastK) => "d::c(k as f64)".to_string(),
        Expr::NoGrad(inner) if float => format!("no_grad({})", render(inner, dialect, Place::Top)),
        Expr::NoGrad(inner) => format!("d::no_grad({})", render(inner, dialect, Place::Top)),
        Expr::Neg(inner) => {
            let s = format!("-{}", render(inner, dialect, Place::Operand));
            wrap(s, place == Place::Receiver)
        }
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

/// The statements and final expression of a program's body.
pub fn body(program: &Program, dialect: Dialect) -> String {
    let mut out = String::new();
    let scalar = if dialect == Dialect::Float {
        "f64"
    } else {
        "Dual64"
    };
    // A value of literals alone gets its type written out.
    let ty = |values: &[&Expr]| {
        if values.iter().all(|v| v.typed()) {
            String::new()
        } else if values.len() == 1 {
            format!(": {scalar}")
        } else {
            format!(": ({scalar}, {scalar})")
        }
    };
    for stmt in &program.body {
        let line = match stmt {
            Stmt::Let {
                name,
                mutable,
                value,
            } => {
                format!(
                    "let {}{name}{} = {};",
                    if *mutable { "mut " } else { "" },
                    ty(&[value]),
                    expr(value, dialect)
                )
            }
            Stmt::Assign { name, value } => format!("{name} = {};", expr(value, dialect)),
            Stmt::Compound { name, op, value } => {
                format!("{name} {}= {};", op.token(), expr(value, dialect))
            }
            Stmt::LetTuple { names, values } => format!(
                "let ({}, {}){} = ({}, {});",
                names[0],
                names[1],
                ty(&[&values[0], &values[1]]),
                expr(&values[0], dialect),
                expr(&values[1], dialect)
            ),
            Stmt::LetPair { name, values } => {
                format!(
                    "let {name}{} = ({}, {});",
                    ty(&[&values[0], &values[1]]),
                    expr(&values[0], dialect),
                    expr(&values[1], dialect)
                )
            }
            Stmt::Block {
                name,
                inner,
                value,
                tail,
            } => format!(
                "let {name} = {{\n        let {inner}{} = {};\n        {}\n    }};",
                ty(&[value]),
                expr(value, dialect),
                expr(tail, dialect)
            ),
        };
        let _ = writeln!(out, "    {line}");
    }
    let result = expr(&program.result, dialect);
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
    format!(
        "{attr}{allow}\npub fn {}(p: &Params, x: f64, y: f64, a: [f64; 3], s: &[f64], k: usize) -> f64 {{\n{}}}\n",
        program.name,
        body(program, Dialect::Float)
    )
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
        "\n#[allow(clippy::needless_return)]\npub fn {name}_dual(p: &ParamsD, x: Dual64, y: Dual64, a: [Dual64; 3], s: &[Dual64], k: usize) -> Dual64 {{\n{}}}\n",
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
    let value = {name}(&p, x, y, a, &s, k);
    let (grad_value, {pattern}) = {name}_grad(&p, x, y, a, &s, k);
    let mut grads = Vec::new();{grads}
    Run {{ value, grad_value, grads }}
}}

fn {name}_dual_run(v: &[Dual64], k: usize) -> Dual64 {{
    let (p, x, y, a, s) = unpack_dual(v);
    {name}_dual(&p, x, y, a, &s, k)
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
