//! The configuration space: named dimensions, and the configurations drawn
//! from it.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// One value of a dimension: a number, a flag or a name.
///
/// ```
/// use gradgen_runtime::search::Value;
///
/// assert_eq!(Value::from(0.1), Value::Float(0.1));
/// assert_eq!(Value::from(32), Value::Int(32));
/// assert_eq!(Value::from("adam"), Value::Text("adam".into()));
/// assert_eq!(Value::from(32).to_string(), "32");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A whole number, e.g. a batch size.
    Int(i64),
    /// A real number, e.g. a learning rate.
    Float(f64),
    /// A flag, e.g. whether to use Nesterov momentum.
    Bool(bool),
    /// A name, e.g. of an optimizer or a schedule.
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(x) => write!(f, "{x}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(x) => write!(f, "{x}"),
            Value::Text(x) => f.write_str(x),
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(x: $t) -> Self {
                Value::$variant(x.into())
            }
        }
    )*};
}
value_from!(f64 => Float, f32 => Float, i64 => Int, i32 => Int, u32 => Int, bool => Bool,
    &str => Text, String => Text);

impl From<usize> for Value {
    /// # Panics
    ///
    /// When `x` does not fit an `i64`.
    fn from(x: usize) -> Self {
        Value::Int(i64::try_from(x).expect("a usize value beyond i64::MAX"))
    }
}

/// The values a dimension ranges over.
#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    /// One of a list of values, e.g. optimizers or batch sizes.
    Choice(Vec<Value>),
    /// A real number in `[low, high]`, drawn uniformly.
    Uniform {
        /// The smallest value.
        low: f64,
        /// The largest value.
        high: f64,
    },
    /// A positive real number in `[low, high]` whose logarithm is drawn
    /// uniformly: the right prior for learning rates and weight decays,
    /// which matter by their order of magnitude.
    LogUniform {
        /// The smallest value, above 0.
        low: f64,
        /// The largest value.
        high: f64,
    },
    /// A whole number in `low..=high`, drawn uniformly.
    IntRange {
        /// The smallest value.
        low: i64,
        /// The largest value.
        high: i64,
    },
}

impl Domain {
    /// `points` values spread over the domain for a grid: evenly for
    /// `Uniform` and `IntRange` (rounded, without repeats), evenly in the
    /// logarithm for `LogUniform`, and every value of a `Choice` whatever
    /// `points` is. One point is the middle of a range.
    pub fn grid(&self, points: usize) -> Vec<Value> {
        let spread = |low: f64, high: f64| -> Vec<f64> {
            match points {
                0 => Vec::new(),
                1 => vec![(low + high) / 2.0],
                _ => (0..points)
                    .map(|i| match i {
                        0 => low,
                        i if i == points - 1 => high,
                        i => low + (high - low) * i as f64 / (points - 1) as f64,
                    })
                    .collect(),
            }
        };
        match self {
            Domain::Choice(values) => values.clone(),
            Domain::Uniform { low, high } => {
                spread(*low, *high).into_iter().map(Value::Float).collect()
            }
            Domain::LogUniform { low, high } => {
                let last = points.saturating_sub(1);
                spread(low.ln(), high.ln())
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| match i {
                        // The ends exactly, not as exp(ln(x)).
                        0 if points > 1 => Value::Float(*low),
                        i if i == last && points > 1 => Value::Float(*high),
                        _ => Value::Float(x.exp()),
                    })
                    .collect()
            }
            Domain::IntRange { low, high } => {
                let mut values: Vec<i64> = spread(*low as f64, *high as f64)
                    .into_iter()
                    .map(|x| x.round() as i64)
                    .collect();
                values.dedup();
                values.into_iter().map(Value::Int).collect()
            }
        }
    }

    /// A value drawn at random from the domain.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Value {
        match self {
            Domain::Choice(values) => values[rng.random_range(0..values.len())].clone(),
            Domain::Uniform { low, high } => Value::Float(uniform(rng, *low, *high)),
            Domain::LogUniform { low, high } => {
                Value::Float(uniform(rng, low.ln(), high.ln()).exp())
            }
            Domain::IntRange { low, high } => Value::Int(rng.random_range(*low..=*high)),
        }
    }
}

fn uniform<R: Rng + ?Sized>(rng: &mut R, low: f64, high: f64) -> f64 {
    low + (high - low) * rng.random::<f64>()
}

/// A named dimension of a [`Space`].
#[derive(Clone, Debug, PartialEq)]
pub struct Dimension {
    /// The name a trial looks the value up by.
    pub name: String,
    /// The values it ranges over.
    pub domain: Domain,
}

/// The space of configurations a search explores: named dimensions, each
/// a list of choices or a range.
///
/// ```
/// use gradgen_runtime::search::Space;
/// use rand::SeedableRng;
///
/// let space = Space::new()
///     .choice("optimizer", ["sgd", "momentum", "adam"])
///     .log_uniform("learning_rate", 1e-4, 1e-1)
///     .choice("batch_size", [16, 32, 64])
///     .uniform("momentum", 0.5, 0.99);
///
/// // A grid: every choice, ranges at 3 points each.
/// assert_eq!(space.grid(3).len(), 3 * 3 * 3 * 3);
/// // A random draw.
/// let config = space.sample(&mut rand_chacha::ChaCha8Rng::seed_from_u64(1));
/// assert!((1e-4..=1e-1).contains(&config.float("learning_rate")));
/// assert!([16, 32, 64].contains(&config.usize("batch_size")));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Space {
    dimensions: Vec<Dimension>,
}

impl Space {
    /// A space with no dimensions (its grid is one empty configuration).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a dimension over the given values.
    ///
    /// # Panics
    ///
    /// When there are no values or the name is taken.
    pub fn choice<V: Into<Value>>(self, name: &str, values: impl IntoIterator<Item = V>) -> Self {
        let values: Vec<Value> = values.into_iter().map(Into::into).collect();
        assert!(
            !values.is_empty(),
            "dimension {name:?} has no values to choose from"
        );
        self.with(name, Domain::Choice(values))
    }

    /// Adds a dimension over the reals in `[low, high]`.
    ///
    /// # Panics
    ///
    /// Unless `low <= high`, both finite, or when the name is taken.
    pub fn uniform(self, name: &str, low: f64, high: f64) -> Self {
        assert!(
            low.is_finite() && high.is_finite() && low <= high,
            "dimension {name:?} needs finite bounds low <= high, not {low} and {high}"
        );
        self.with(name, Domain::Uniform { low, high })
    }

    /// Adds a dimension over the reals in `[low, high]`, uniform in the
    /// logarithm (for learning rates).
    ///
    /// # Panics
    ///
    /// Unless `0 < low <= high`, both finite, or when the name is taken.
    pub fn log_uniform(self, name: &str, low: f64, high: f64) -> Self {
        assert!(
            low > 0.0 && high.is_finite() && low <= high,
            "dimension {name:?} needs finite bounds 0 < low <= high, not {low} and {high}"
        );
        self.with(name, Domain::LogUniform { low, high })
    }

    /// Adds a dimension over the whole numbers in `low..=high`.
    ///
    /// # Panics
    ///
    /// Unless `low <= high`, or when the name is taken.
    pub fn int_range(self, name: &str, low: i64, high: i64) -> Self {
        assert!(
            low <= high,
            "dimension {name:?} needs low <= high, not {low} and {high}"
        );
        self.with(name, Domain::IntRange { low, high })
    }

    fn with(mut self, name: &str, domain: Domain) -> Self {
        assert!(
            self.dimensions.iter().all(|d| d.name != name),
            "the space already has a dimension {name:?}"
        );
        self.dimensions.push(Dimension {
            name: name.to_owned(),
            domain,
        });
        self
    }

    /// The dimensions, in the order they were added.
    pub fn dimensions(&self) -> &[Dimension] {
        &self.dimensions
    }

    /// Every combination of the dimensions' grid values (see
    /// [`Domain::grid`]), the last dimension varying fastest.
    pub fn grid(&self, points: usize) -> Vec<Config> {
        let mut configs = vec![Config::default()];
        for dimension in &self.dimensions {
            let values = dimension.domain.grid(points);
            configs = configs
                .iter()
                .flat_map(|config| {
                    values.iter().map(move |value| {
                        let mut config = config.clone();
                        config.values.push((dimension.name.clone(), value.clone()));
                        config
                    })
                })
                .collect();
        }
        configs
    }

    /// A configuration with every dimension drawn at random.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Config {
        Config {
            values: self
                .dimensions
                .iter()
                .map(|d| (d.name.clone(), d.domain.sample(rng)))
                .collect(),
        }
    }
}

/// One point of a [`Space`]: a value for every dimension, by name.
///
/// The typed getters panic on a name the space lacks or a value of another
/// kind, like indexing a map: the space and the trial are written together.
///
/// ```
/// use gradgen_runtime::search::{Config, Value};
///
/// let config = Config::from_iter([("optimizer", Value::from("adam")), ("learning_rate", 0.01.into())]);
/// assert_eq!(config.text("optimizer"), "adam");
/// assert_eq!(config.float("learning_rate"), 0.01);
/// assert_eq!(config.to_string(), "optimizer=adam learning_rate=0.01");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    values: Vec<(String, Value)>,
}

impl<S: Into<String>> FromIterator<(S, Value)> for Config {
    fn from_iter<I: IntoIterator<Item = (S, Value)>>(pairs: I) -> Self {
        Config {
            values: pairs
                .into_iter()
                .map(|(name, v)| (name.into(), v))
                .collect(),
        }
    }
}

impl Config {
    /// The value of dimension `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The names and values, in the order of the space's dimensions.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The value of `name` as a real number (a whole number converts).
    ///
    /// # Panics
    ///
    /// When there is no dimension `name`, or its value is not a number.
    pub fn float(&self, name: &str) -> f64 {
        match self.expect(name) {
            Value::Float(x) => *x,
            Value::Int(x) => *x as f64,
            other => self.wrong(name, "a number", other),
        }
    }

    /// The value of `name` as a whole number.
    ///
    /// # Panics
    ///
    /// When there is no dimension `name`, or its value is not a whole number.
    pub fn int(&self, name: &str) -> i64 {
        match self.expect(name) {
            Value::Int(x) => *x,
            other => self.wrong(name, "a whole number", other),
        }
    }

    /// The value of `name` as a count or size.
    ///
    /// # Panics
    ///
    /// When there is no dimension `name`, or its value is not a
    /// non-negative whole number.
    pub fn usize(&self, name: &str) -> usize {
        match self.expect(name) {
            Value::Int(x) if *x >= 0 => *x as usize,
            other => self.wrong(name, "a non-negative whole number", other),
        }
    }

    /// The value of `name` as a flag.
    ///
    /// # Panics
    ///
    /// When there is no dimension `name`, or its value is not a flag.
    pub fn flag(&self, name: &str) -> bool {
        match self.expect(name) {
            Value::Bool(x) => *x,
            other => self.wrong(name, "a flag", other),
        }
    }

    /// The value of `name` as a name.
    ///
    /// # Panics
    ///
    /// When there is no dimension `name`, or its value is not text.
    pub fn text(&self, name: &str) -> &str {
        match self.expect(name) {
            Value::Text(x) => x,
            other => self.wrong(name, "text", other),
        }
    }

    fn expect(&self, name: &str) -> &Value {
        self.get(name).unwrap_or_else(|| {
            let names: Vec<&str> = self.values.iter().map(|(n, _)| n.as_str()).collect();
            panic!("the configuration has no dimension {name:?}; it has {names:?}")
        })
    }

    fn wrong(&self, name: &str, expected: &str, found: &Value) -> ! {
        panic!("dimension {name:?} holds {found:?}, not {expected}")
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{name}={value}")?;
        }
        Ok(())
    }
}
