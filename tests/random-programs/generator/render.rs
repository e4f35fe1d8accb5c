//! Programs as Rust source, in two dialects: the `#[differentiable]`
//! function over `f64` as a user writes it (methods in method or path
//! form), and its twin over num-dual's `Dual64`, where every rule is a call
//! of the support crate's `dual::NAME`, literals are constants `c(..)` and
//! `no_grad` drops the derivative part.

use std::fmt::Write;

use crate::grammar::{ARGS, Cond, Constant, Expr, Input, LOOP_VARS, Program, Stmt};

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
        Input::AtLoop(field, depth) => format!("{}[{}]", place(field), LOOP_VARS[*depth]),
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
        Expr::Constant(Constant::CastLoop(depth)) if float => {
            wrap(format!("{} as f64", LOOP_VARS[*depth]), place != Place::Top)
        }
        Expr::Constant(Constant::CastLoop(depth)) => {
            format!("d::c({} as f64)", LOOP_VARS[*depth])
        }
        Expr::Call { name, args } => {
            let rendered: Vec<String> = args
                .iter()
                .map(|a| render(a, dialect, Place::Top))
                .collect();
            let suffix = if float { "" } else { "_dual" };
            format!("{name}{suffix}({})", rendered.join(", "))
        }
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

/// A condition: the values compared (a dual number by its value).
fn cond(c: &Cond, dialect: Dialect) -> String {
    let op = if c.less { "<" } else { ">" };
    if dialect == Dialect::Float {
        let rhs = if c.rhs.is_literal() {
            render(&c.rhs, dialect, Place::Top)
        } else {
            render(&c.rhs, dialect, Place::Operand)
        };
        format!("{} {op} {rhs}", render(&c.lhs, dialect, Place::Operand))
    } else {
        format!(
            "{}.re {op} {}.re",
            render(&c.lhs, dialect, Place::Receiver),
            render(&c.rhs, dialect, Place::Receiver)
        )
    }
}

/// Statements, one a line (a block's over several), at `indent` levels.
fn stmts(out: &mut String, list: &[Stmt], dialect: Dialect, indent: usize) {
    let pad = "    ".repeat(indent);
    let scalar = if dialect == Dialect::Float {
        "f64"
    } else {
        "Dual64"
    };
    // A value of literals alone gets its type written out.
    let ty = |values: &[&Expr]| {
        if values.iter().any(|v| v.typed())
            && (values.len() == 1 || values.iter().all(|v| v.typed()))
        {
            String::new()
        } else if values.len() == 1 {
            format!(": {scalar}")
        } else {
            format!(": ({scalar}, {scalar})")
        }
    };
    for stmt in list {
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
                "let {name} = {{\n{pad}    let {inner}{} = {};\n{pad}    {}\n{pad}}};",
                ty(&[value]),
                expr(value, dialect),
                expr(tail, dialect)
            ),
            Stmt::LetIf {
                name,
                arms,
                otherwise,
            } => {
                let values: Vec<&Expr> = arms.iter().map(|(_, e)| e).chain([otherwise]).collect();
                let typed = if values.iter().any(|v| v.typed()) {
                    String::new()
                } else {
                    format!(": {scalar}")
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
            Stmt::If { arms, otherwise } => {
                let mut s = String::new();
                for (i, (c, body)) in arms.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "{}if {} {{",
                        if i > 0 { " else " } else { "" },
                        cond(c, dialect)
                    );
                    stmts(&mut s, body, dialect, indent + 1);
                    let _ = write!(s, "{pad}}}");
                }
                if let Some(body) = otherwise {
                    s.push_str(" else {\n");
                    stmts(&mut s, body, dialect, indent + 1);
                    let _ = write!(s, "{pad}}}");
                }
                s
            }
            Stmt::For { depth, n, body } => {
                let mut s = format!("for {} in 0..{n} {{\n", LOOP_VARS[*depth]);
                stmts(&mut s, body, dialect, indent + 1);
                let _ = write!(s, "{pad}}}");
                s
            }
        };
        let _ = writeln!(out, "{pad}{line}");
    }
}

/// The statements and final expression of a program's body.
pub fn body(program: &Program, dialect: Dialect) -> String {
    let mut out = String::new();
    stmts(&mut out, &program.body, dialect, 1);
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
    let args = match program.arity {
        Some(arity) => helper_args(arity, "f64"),
        None => "p: &Params, x: f64, y: f64, a: [f64; 3], s: &[f64], k: usize".to_string(),
    };
    format!(
        "{attr}{allow}\npub fn {}({args}) -> f64 {{\n{}}}\n",
        program.name,
        body(program, Dialect::Float)
    )
}

fn helper_args(arity: usize, ty: &str) -> String {
    (0..arity)
        .map(|i| format!("u{i}: {ty}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A helper: the `#[differentiable]` function and its dual twin.
pub fn helper(program: &Program) -> String {
    let arity = program.arity.expect("a helper");
    let mut out = differentiable(program);
    let _ = write!(
        out,
        "\n#[allow(clippy::needless_return)]\npub fn {}_dual({}) -> Dual64 {{\n{}}}\n",
        program.name,
        helper_args(arity, "Dual64"),
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
