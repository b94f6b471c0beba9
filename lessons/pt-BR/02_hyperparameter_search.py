# %% [markdown]
# # 02 · Busca de hiperparâmetros e comparação de execuções
#
# Uma busca em grade (grid search) testa muitas combinações de parâmetros; sem rastreamento,
# tudo o que sobra é a vencedora. Esta lição executa o exemplo de GridSearchCV da página do
# DataFlow Lab tal como está escrito e depois o melhora: uma execução pai (parent run) para a
# busca, uma execução filha (child run) por candidato com suas pontuações de validação cruzada
# (cross-validation, CV), o modelo escolhido avaliado uma única vez nos dados de teste e a
# comparação desenhada em gráficos — em seguida deixa o log automático (autologging) do
# MLflow fazer o mesmo e compara os dois, e por fim roda a mesma busca com o Optuna, uma
# execução filha por tentativa.
#
# **Você vai aprender** execuções aninhadas (nested runs); a logar resultados de validação
# cruzada (média e dispersão entre os *folds*, as partes em que ela divide os dados); métricas de treinamento, de CV e de teste lado a
# lado; `mlflow.sklearn.autolog` para buscas (`max_tuning_runs`); um estudo do Optuna rastreado
# no MLflow; a comparar execuções com `search_runs`, com gráficos e com a visão **Compare** da
# UI.
#
# **Tempo:** 40 minutos. **Pré-requisitos:** 01 · Rastreamento básico.
#
# **No mapa** (lição 00): execuções (uma execução pai e as suas filhas) em um experimento.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% tags=["parameters"]
cv_folds = 5
n_bootstrap = 1000  # reamostragens das casas de teste para o intervalo
max_tuning_runs = 5  # execuções filhas que o autolog mantém (as melhores)
n_trials = 10  # tentativas do Optuna

# %%
import mlflow
import numpy as np
from sklearn.linear_model import ElasticNet

X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
mlflow.set_experiment("meu_experimento")
model = ElasticNet(max_iter=10_000)

# %% [markdown]
# ## O exemplo da página do DataFlow Lab, tal como está
#
# `model`, `X_train` e `y_train` vêm da célula acima; o resto é o exemplo.

# %%
from sklearn.model_selection import GridSearchCV
import mlflow.sklearn

# Definir grade de parâmetros
param_grid = {
    'alpha': [0.1, 0.5, 1.0],
    'l1_ratio': [0.1, 0.5, 0.9]
}

# Configurar grid search
grid_search = GridSearchCV(model, param_grid, cv=5, scoring='neg_mean_squared_error')

# Executar com rastreamento MLflow
with mlflow.start_run(run_name="grid_search"):
    grid_search.fit(X_train, y_train)

    # Registrar melhor modelo
    mlflow.log_params(grid_search.best_params_)
    mlflow.log_metric("best_score", grid_search.best_score_)
    mlflow.sklearn.log_model(grid_search.best_estimator_, "best_model")

# %% tags=["nbval-check-output"]
print("candidatos testados:", len(grid_search.cv_results_["params"]))
print("melhor:", grid_search.best_params_)
print(f"melhor RMSE de CV: {lab_utils.format_number(np.sqrt(-grid_search.best_score_))} CAD")

# %% [markdown]
# O aviso sobre `artifact_path` é o que a lição 01 explicou: o MLflow 3 quer `name=`. A célula
# é lenta pelo motivo que a lição 01 deu: `log_model` inicia um segundo processo Python para
# descobrir os requisitos do modelo (de 10 a 30 s, conforme a carga da máquina).
#
# A execução guarda o vencedor, mas os outros oito candidatos — e o quanto chegaram perto —
# se perdem. `best_score` é um MSE negativo (o scikit-learn maximiza pontuações), o que fica
# estranho em um painel; e nada diz como o modelo se sai em dados que nunca viu.
#
# A busca *escolhe* por validação cruzada: cada candidato é treinado em quatro quintos de
# `X_train` e avaliado no quinto que não viu, cinco vezes. As casas de teste (`X_test`) não
# participam da escolha; por isso avaliamos o modelo escolhido nelas uma única vez, no fim:
# essa pontuação é uma estimativa honesta porque nenhuma decisão a usou.
#
# ## Uma execução pai, uma execução filha por candidato
#
# `mlflow.start_run(nested=True)` dentro de uma execução aberta cria uma execução filha. A UI
# mostra as filhas recolhidas sob a execução pai, e `tags.mlflow.parentRunId` as encontra em
# uma busca.
#
# `cv_results_` guarda a pontuação de cada candidato em cada fold
# (`split0_test_score`, …), como MSE negativo. `cv_rmse` é a raiz quadrada da média dos MSEs
# dos folds (o número pelo qual `best_score_` ordena); `cv_rmse_std` é a dispersão dos cinco
# RMSEs por fold, que mostra o quanto a pontuação depende de quais casas caíram em qual
# fold. (A raiz quadrada de `std_test_score` não seria isso: ela é a dispersão dos MSEs, em
# CAD².)
#
# A célula demora um pouco: nove execuções filhas e depois `log_model` descobrindo seus
# requisitos.

# %%
import warnings

from sklearn.metrics import mean_squared_error, r2_score


def rmse(y_true, y_pred) -> float:
    return float(np.sqrt(mean_squared_error(y_true, y_pred)))


grid_search = GridSearchCV(model, param_grid, cv=cv_folds, scoring="neg_mean_squared_error",
                           return_train_score=True)

with mlflow.start_run(run_name="grid_search_nested",
                      description="Busca em grade do ElasticNet: uma execução filha por candidato") as parent:
    grid_search.fit(X_train, y_train)
    results = grid_search.cv_results_
    for i, candidate in enumerate(results["params"]):
        with mlflow.start_run(run_name=f"candidate_{i}", nested=True):
            mlflow.log_params(candidate)
            # Um RMSE por fold, a partir do MSE negativo do fold: a dispersão deles é cv_rmse_std.
            fold_rmse = np.sqrt(-np.array([results[f"split{k}_test_score"][i]
                                           for k in range(grid_search.n_splits_)]))
            mlflow.log_metrics({
                "cv_rmse": float(np.sqrt(-results["mean_test_score"][i])),  # √(média dos MSEs dos folds), como best_score_
                "cv_rmse_std": float(fold_rmse.std()),  # dispersão dos RMSEs por fold
                "train_rmse": float(np.sqrt(-results["mean_train_score"][i])),
                "rank": int(results["rank_test_score"][i]),
            })

    best = grid_search.best_estimator_
    mlflow.log_params({f"best_{k}": v for k, v in grid_search.best_params_.items()})
    mlflow.log_params({"cv_folds": cv_folds, "grid_size": len(results["params"])})
    # Treinamento, validação cruzada (a escolha) e teste (informado uma vez, depois dela) lado a lado.
    mlflow.log_metrics({
        "train_rmse": rmse(y_train, best.predict(X_train)),
        "cv_rmse": float(np.sqrt(-grid_search.best_score_)),
        "test_rmse": rmse(y_test, best.predict(X_test)),
        "test_r2": r2_score(y_test, best.predict(X_test)),
    })
    with warnings.catch_warnings():  # o aviso das colunas inteiras, explicado na lição 01
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        best_info = mlflow.sklearn.log_model(best, name="best_model", input_example=X_train.head(3))

print("execução pai:", lab_utils.run_url(lab, parent))

# %% [markdown]
# ### Ponto de verificação
# A execução pai tem os três tipos de métrica e o modelo; ela tem uma filha por candidato.

# %%
from mlflow import MlflowClient

client = MlflowClient()
checked = lab_utils.assert_run_logged(
    parent.info.run_id, metrics=["train_rmse", "cv_rmse", "test_rmse"],
    params={"grid_size": 9})
children = client.search_runs([parent.info.experiment_id],
                              f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
assert len(children) == 9, f"{len(children)} execuções filhas no servidor, esperadas 9"
assert all({"alpha", "l1_ratio"} <= set(c.data.params) and "cv_rmse" in c.data.metrics for c in children)
print(f"✓ {len(children)} execuções filhas, cada uma com seus parâmetros e pontuações de CV")
best_model_files = lab_utils.assert_model_in_bucket(lab, best_info.model_id)

# %% [markdown]
# ## Comparando os candidatos
#
# `mlflow.search_runs` devolve as filhas como um DataFrame: a partir daí, qualquer gráfico.
# Um mapa de calor do erro de CV sobre a grade mostra o relevo; uma linha por `l1_ratio`
# mostra o efeito de `alpha`. Os dois são salvos na execução pai, onde o próximo leitor
# vai procurar.

# %%
import matplotlib.pyplot as plt

candidates = mlflow.search_runs([parent.info.experiment_id],
                                filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
candidates["alpha"] = candidates["params.alpha"].astype(float)
candidates["l1_ratio"] = candidates["params.l1_ratio"].astype(float)
landscape = candidates.pivot_table(index="l1_ratio", columns="alpha", values="metrics.cv_rmse")

heatmap, ax = plt.subplots(figsize=(5, 3.5))
image = ax.imshow(landscape.values, cmap="viridis_r")
ax.set_xticks(range(len(landscape.columns)), landscape.columns)
ax.set_yticks(range(len(landscape.index)), landscape.index)
ax.set(xlabel="alpha", ylabel="l1_ratio", title="RMSE de CV na grade (CAD)")
for (row, col), value in np.ndenumerate(landscape.values):
    ax.text(col, row, lab_utils.format_number(value), ha="center", va="center", color="white", fontsize=8)
heatmap.colorbar(image)

lines, ax = plt.subplots(figsize=(5, 3.5))
for l1_ratio, group in candidates.sort_values("alpha").groupby("l1_ratio"):
    ax.plot(group["alpha"], group["metrics.cv_rmse"], marker="o", label=f"l1_ratio={l1_ratio}")
ax.set(xlabel="alpha", ylabel="RMSE de CV (CAD)", title="Erro de CV em função de alpha")
ax.legend()

with mlflow.start_run(run_id=parent.info.run_id):
    mlflow.log_figure(heatmap, "comparison/cv_rmse_heatmap.png")
    mlflow.log_figure(lines, "comparison/cv_rmse_by_alpha.png")
plt.show()

# %% tags=["nbval-check-output"]
print(landscape.round(0).astype(int).to_string())

# %% [markdown]
# ## Quanto ruído há em uma pontuação?
#
# O mapa de calor ordena nove candidatos, mas uma ordem vale o que valem as pontuações por
# baixo dela, e cada pontuação é uma medida numa amostra de casas. Três hábitos separam sinal
# de ruído:
#
# - **A dispersão entre folds.** O `cv_rmse_std` de cada candidato é quanto o seu RMSE variou
#   de um fold de casas para outro. Dois candidatos cujas pontuações de CV diferem bem menos
#   que essa dispersão estão empatados, até onde estes dados permitem dizer.
# - **Um intervalo para a pontuação de teste.** Reamostrar as casas de teste com reposição (um
#   *bootstrap*) e recalcular o RMSE a cada vez mostra quanto a única pontuação de teste
#   mudaria com outro sorteio de casas: informe o intervalo, não só o número.
# - **Um critério de promoção com margem.** Um desafiante substitui o campeão só quando é melhor
#   por mais que o ruído — digamos, por mais que a dispersão entre folds —, não por qualquer
#   diferença.
#
# Mais um sinal a ler: quando o melhor valor de um parâmetro fica na **borda da grade**, a busca
# não cercou o ótimo; amplie a grade naquela direção antes de confiar nela.

# %%
ranked = candidates.sort_values("metrics.cv_rmse")
best_run, runner_up = ranked.iloc[0], ranked.iloc[1]
gap = runner_up["metrics.cv_rmse"] - best_run["metrics.cv_rmse"]
print(f"melhor candidato: RMSE de CV {lab_utils.format_number(best_run['metrics.cv_rmse'])} CAD, dispersão entre folds "
      f"{lab_utils.format_number(best_run['metrics.cv_rmse_std'])}; o segundo está {lab_utils.format_number(gap)} CAD atrás")

errors = (y_test.to_numpy() - best.predict(X_test)) ** 2
resampled = np.random.default_rng(lab_utils.SEED).integers(0, len(errors), (n_bootstrap, len(errors)))
bootstrap_rmse = np.sqrt(errors[resampled].mean(axis=1))
low, high = np.percentile(bootstrap_rmse, [2.5, 97.5])
print(f"RMSE de teste {lab_utils.format_number(rmse(y_test, best.predict(X_test)))} CAD; intervalo bootstrap de 95% "
      f"{lab_utils.format_number(low)}–{lab_utils.format_number(high)} em {len(errors)} casas de teste")

for name, values in param_grid.items():
    chosen = grid_search.best_params_[name]
    where = "na borda de baixo" if chosen == min(values) else "na borda de cima" if chosen == max(values) else "dentro"
    print(f"melhor {name} = {chosen}: {where} da grade {values}")

# %% [markdown]
# Leia as três linhas juntas: a vantagem do vencedor sobre o segundo é pequena perto da
# dispersão entre folds, então os melhores candidatos estão praticamente empatados nestes
# dados; a pontuação de teste é honesta, mas não precisa — o seu intervalo tem milhares de CAD
# de largura; e um melhor valor na borda da grade diz que a busca deveria olhar mais para
# aquele lado. As lições 04, 07 e 10 decidem promoções com pontuações de validação: lembre-se
# deste quadro quando um modelo passar de um limite por menos que essas dispersões.

# %% [markdown]
# ## Comparando na UI
#
# 1. Abra a UI do MLflow em http://localhost:5000, mude a chave no canto superior esquerdo de
#    **GenAI** para **Model training** e escolha **Experiments**. (O modo GenAI mostra traces
#    e prompts de apps de GenAI, o assunto da lição 11; execuções e sua comparação ficam em Model training.)
# 2. Clique em **meu_experimento**. A tabela de execuções lista `grid_search_nested`; as nove
#    filhas `candidate_*` se desdobram abaixo dela. Para ver só as filhas, digite
#    `attributes.run_name LIKE 'candidate_%'` na caixa de busca e pressione Enter.
# 3. Marque as caixas de seleção das execuções que quer comparar (por exemplo, três
#    candidatos): um botão **Compare** aparece acima da tabela.
# 4. Clique em **Compare**: abre-se uma página com um gráfico de coordenadas paralelas de
#    `alpha`, `l1_ratio` e das métricas, gráficos de dispersão e de contorno, e os parâmetros e
#    métricas das execuções lado a lado.
#
# A lição 08 mostra capturas de tela de cada passo, tiradas deste laboratório.
#
# ## Deixe o MLflow fazer: autolog para buscas
#
# `mlflow.sklearn.autolog` conhece o `GridSearchCV`: ele abre uma execução pai, loga os
# melhores parâmetros e o modelo, o `cv_results` completo como um artefato (artifact) CSV e
# execuções filhas para os `max_tuning_runs` melhores candidatos. Como na lição 01, uma
# pontuação calculada sobre a busca ajustada enquanto o autolog está ligado também é
# logada, com o nome da variável que recebeu. Esta é a célula mais lenta da lição: o
# autolog loga dois modelos (a busca e o seu melhor estimador), e cada `log_model`
# descobre os próprios requisitos.

# %%
mlflow.sklearn.autolog(max_tuning_runs=max_tuning_runs, log_input_examples=True, silent=True)
with mlflow.start_run(run_name="grid_search_autolog") as auto_parent:
    auto_search = GridSearchCV(model, param_grid, cv=cv_folds, scoring="neg_mean_squared_error")
    auto_search.fit(X_train, y_train)
    auto_search.score(X_test, y_test)  # -> GridSearchCV_score_X_test, um MSE negativo
mlflow.sklearn.autolog(disable=True)

auto_children = client.search_runs([auto_parent.info.experiment_id],
                                   f"tags.mlflow.parentRunId = '{auto_parent.info.run_id}'")
auto_files = [f.path for f in client.list_artifacts(auto_parent.info.run_id)]
auto_metrics = client.get_run(auto_parent.info.run_id).data.metrics
print(f"autolog: {len(auto_children)} execuções filhas, artefatos {sorted(auto_files)}")
print("         métricas em X_test:", sorted(k for k in auto_metrics if k.endswith("X_test")))
print(f"à mão:   {len(children)} execuções filhas, mais a pontuação de teste e os gráficos de comparação")

# %% [markdown]
# | | à mão | autolog |
# | --- | --- | --- |
# | execuções filhas | todos os candidatos | os `max_tuning_runs` melhores |
# | resultados de CV | como métricas em cada filha | artefato `cv_results.csv`, mais as métricas das filhas |
# | pontuação de teste | sim, com o nome que você escolher (`test_rmse`) | só se você avaliar a busca ajustada com o autolog ligado: `search.score(X_test, y_test)` → `GridSearchCV_score_X_test` (aqui, um MSE negativo), com o nome da sua variável, não do papel dela |
# | código | ~20 linhas | uma chamada |
#
# O autolog não tem como saber que `X_test` contém as casas de teste, nem que a escolha foi
# feita por CV: ele dá à pontuação o nome da variável e marca esse conjunto de dados como
# `eval`.
#
# ### Ponto de verificação

# %%
assert len(auto_children) == min(max_tuning_runs, 9), f"{len(auto_children)} execuções filhas do autolog"
assert "cv_results.csv" in auto_files, f"nenhum cv_results.csv entre {auto_files}"
assert "GridSearchCV_score_X_test" in auto_metrics, f"nenhuma pontuação de teste entre {sorted(auto_metrics)}"
print(f"✓ o autolog criou {len(auto_children)} execuções filhas, cv_results.csv e GridSearchCV_score_X_test")

# %% [markdown]
# ## A mesma busca com o Optuna
#
# Uma grade testa todas as combinações que recebe, por pior que tenha sido a pontuação das
# vizinhas. O Optuna, em vez disso, busca em intervalos: cada *tentativa* (trial) pede
# parâmetros a um amostrador (sampler) (aqui o TPE, que propõe valores perto das tentativas
# que se saíram bem até agora), avalia-os e devolve o resultado. São dez tentativas com
# `alpha` de 0,01 a 2 (em escala logarítmica) e `l1_ratio` de 0,1 a 0,9, avaliadas com a
# mesma validação cruzada de 5 folds da grade. O MLflow vê Python puro: a função objetivo
# abre uma execução filha por tentativa dentro da execução pai do estudo (study).

# %% tags=["nbval-check-output"]
import optuna
from sklearn.model_selection import cross_val_score

optuna.logging.set_verbosity(optuna.logging.WARNING)  # sem uma linha de log por tentativa


def objective(trial: optuna.Trial) -> float:
    params = {"alpha": trial.suggest_float("alpha", 0.01, 2.0, log=True),
              "l1_ratio": trial.suggest_float("l1_ratio", 0.1, 0.9)}
    with mlflow.start_run(run_name=f"trial_{trial.number}", nested=True):
        mlflow.log_params(params)
        scores = cross_val_score(ElasticNet(max_iter=10_000, **params), X_train, y_train,
                                 cv=cv_folds, scoring="neg_mean_squared_error")
        cv_rmse = float(np.sqrt(-scores.mean()))
        mlflow.log_metrics({"cv_rmse": cv_rmse, "cv_rmse_std": float(np.sqrt(-scores).std())})
    return cv_rmse


study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=lab_utils.SEED))
with mlflow.start_run(run_name="optuna_search") as optuna_parent:
    study.optimize(objective, n_trials=n_trials)
    mlflow.log_params({f"best_{k}": v for k, v in study.best_params.items()} | {"n_trials": n_trials})
    mlflow.log_metric("cv_rmse", study.best_value)

grid_best = float(np.sqrt(-grid_search.best_score_))
print(f"GridSearchCV: {len(results['params'])} candidatos, melhor RMSE de CV {lab_utils.format_number(grid_best)} CAD "
      f"com {grid_search.best_params_}")
print(f"Optuna:       {n_trials} tentativas, melhor RMSE de CV {lab_utils.format_number(study.best_value)} CAD com "
      + str({k: round(v, 3) for k, v in study.best_params.items()}))

# %% [markdown]
# ### Ponto de verificação
# Uma execução filha por tentativa no servidor, e o `cv_rmse` da melhor filha é o melhor
# valor do estudo.

# %%
trials = client.search_runs([optuna_parent.info.experiment_id],
                            f"tags.mlflow.parentRunId = '{optuna_parent.info.run_id}'",
                            order_by=["metrics.cv_rmse ASC"])
assert len(trials) == n_trials, f"{len(trials)} execuções de tentativa no servidor, esperadas {n_trials}"
assert abs(trials[0].data.metrics["cv_rmse"] - study.best_value) < 1e-6, "a melhor execução de tentativa diverge do estudo"
print(f"✓ {len(trials)} execuções de tentativa; a melhor é {trials[0].info.run_name}")

# %% [markdown]
# As duas buscas escolheram por validação cruzada somente nas casas de treinamento, então suas
# pontuações de CV são comparáveis de forma justa; as casas de teste ficaram de fora das duas.
# As tentativas do Optuna não se limitam aos valores da grade, e por isso a melhor delas pode
# cair entre esses valores (compare as duas linhas acima). Ele compensa mais quando o espaço é
# grande ou contínuo e cada tentativa é cara, porque gasta as tentativas onde estão as boas
# pontuações.

# %% [markdown]
# > **Como está na prática.** As execuções aninhadas acima são como você *lê* uma busca. O
# > MLflow também traz um armazenamento para o Optuna, `mlflow.optuna.MlflowStorage(experiment_id=...)`:
# > passado para `optuna.create_study(storage=...)`, ele guarda o próprio estudo — parâmetros,
# > valores e estado de cada trial — como execuções no servidor de rastreamento, gravadas em
# > lotes; assim o estudo sobrevive ao notebook e `optuna.load_study` o retoma, de qualquer
# > máquina que alcance o servidor; `mlflow.pyspark.optuna` roda os trials de um estudo em
# > workers do Spark por meio dele. Use-o quando a busca é longa ou compartilhada; execuções
# > aninhadas como as de cima bastam para uma busca que cabe numa sessão. (Fonte:
# > `mlflow/optuna/storage.py` no MLflow 3 e o guia de armazenamento do Optuna, em inglês.)

# %% [markdown]
# ## Exercícios
#
# ### Exercício 1
# Com `mlflow.search_runs` sobre as filhas de `parent` (a execução `grid_search_nested`),
# encontre a execução filha com o menor `cv_rmse`. Coloque o **id da execução** dela em
# `best_child_id`.

# %% tags=["exercise"]
best_child_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `mlflow.search_runs([experiment id], filter_string="tags.mlflow.parentRunId = '...'",
# order_by=["metrics.cv_rmse ASC"], max_results=1)` devolve um DataFrame com uma coluna `run_id`.
#
# </details>

# %% tags=["solution"]
best_row = mlflow.search_runs(
    [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    order_by=["metrics.cv_rmse ASC"], max_results=1,
).iloc[0]
best_child_id = best_row["run_id"]

# %% tags=["check-exercise"]
if lab_utils.attempted(best_child_id, "Exercício 1"):
    from lab_utils.grading import lesson_02
    lesson_02.check_exercise_1(best_child_id, parent.info.run_id)

# %% [markdown]
# ### Exercício 2
# Execute um `RandomizedSearchCV` sobre `alpha` em `[0.05, 0.1, 0.2, 0.5, 1.0, 2.0]` e
# `l1_ratio` em `[0.1, 0.3, 0.5, 0.7, 0.9]` com `n_iter=4` e `random_state=0` (sobre `model`,
# com `cv=cv_folds` e `scoring="neg_mean_squared_error"`, como a busca em grade acima), como
# uma execução pai chamada `exercise_random_search`, com uma execução filha aninhada por
# candidato contendo seus parâmetros e seu `cv_rmse` (√ de menos o seu `mean_test_score`,
# como acima). Coloque o id da execução pai em `random_parent_id`.

# %% tags=["exercise"]
random_parent_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# Ajuste o `RandomizedSearchCV` dentro de `mlflow.start_run(run_name="exercise_random_search")`
# e depois percorra `search.cv_results_["params"]` com `mlflow.start_run(nested=True)` e
# `mlflow.log_params` / `mlflow.log_metric` em cada um.
#
# </details>

# %% tags=["solution"]
from sklearn.model_selection import RandomizedSearchCV

search = RandomizedSearchCV(model, {"alpha": [0.05, 0.1, 0.2, 0.5, 1.0, 2.0],
                                    "l1_ratio": [0.1, 0.3, 0.5, 0.7, 0.9]},
                            n_iter=4, random_state=0, cv=cv_folds, scoring="neg_mean_squared_error")
with mlflow.start_run(run_name="exercise_random_search") as random_parent:
    search.fit(X_train, y_train)
    for i, candidate in enumerate(search.cv_results_["params"]):
        with mlflow.start_run(run_name=f"random_{i}", nested=True):
            mlflow.log_params(candidate)
            mlflow.log_metric("cv_rmse", float(np.sqrt(-search.cv_results_["mean_test_score"][i])))
random_parent_id = random_parent.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(random_parent_id, "Exercício 2"):
    from lab_utils.grading import lesson_02
    lesson_02.check_exercise_2(random_parent_id, X_train, y_train, cv_folds)

# %% [markdown]
# ## Resumo
#
# - Rastreie uma busca como uma execução pai com uma filha por candidato; logue as
#   pontuações de CV como RMSE legível, com a dispersão entre os folds (a partir de
#   `split{k}_test_score`).
# - Escolha por validação cruzada; avalie o modelo escolhido nas casas de teste uma única vez,
#   depois da escolha, ao lado das pontuações de treinamento e de CV.
# - `search_runs` + pandas + matplotlib comparam execuções em código; salve os gráficos na
#   execução pai.
# - O autolog cuida do `GridSearchCV` com uma chamada, mantendo as `max_tuning_runs` melhores
#   filhas; ele só loga uma pontuação de teste se você avaliar a busca enquanto ele está
#   ligado, com o nome da sua variável.
# - Um estudo do Optuna é rastreado do mesmo jeito: uma execução pai e uma execução aninhada
#   por tentativa, aberta na função objetivo.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Rastreamento (Tracking)](https://mlflow.org/docs/latest/ml/tracking/)
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/)
# - [Busca de execuções](https://mlflow.org/docs/latest/ml/search/search-runs) — a linguagem
#   de filtro usada para `tags.mlflow.parentRunId`
# - [`mlflow.sklearn.autolog`](https://mlflow.org/docs/latest/python_api/mlflow.sklearn.html#mlflow.sklearn.autolog):
#   busca de parâmetros e `max_tuning_runs`
# - [scikit-learn: ajuste dos hiperparâmetros de um estimador](https://scikit-learn.org/stable/modules/grid_search.html)
# - [Documentação do Optuna](https://optuna.readthedocs.io/)
#
# ## Verifique o que aprendeu
#
# 1. Por que `cv_rmse_std` é calculado a partir das pontuações por fold, e não como
#    `sqrt(std_test_score)`?
# 2. A busca escolheu seu candidato por CV. Por que a pontuação de teste é logada só para
#    o modelo escolhido, e uma única vez?
# 3. O que `max_tuning_runs=5` muda, e o que se guarda dos outros quatro candidatos?
# 4. O autolog logou `GridSearchCV_score_X_test`. Por que esse valor é negativo, e o que o
#    autolog não sabe sobre ele?
# 5. Como o Optuna escolhe os parâmetros da próxima tentativa, ao contrário de uma grade?

# %% [markdown] tags=["solution"]
# 1. `std_test_score` é a dispersão dos MSEs negativos por fold, em CAD²; a raiz quadrada
#    dela não é a dispersão dos RMSEs dos folds (6.008 contra 1.115 CAD para um dos
#    candidatos aqui). Calcule primeiro o RMSE de cada fold e depois o desvio padrão deles.
# 2. Uma pontuação usada para escolher é otimista. As casas de teste não participaram da
#    escolha, então uma única pontuação nelas é uma estimativa honesta; avaliar muitos modelos
#    nelas e ficar com o melhor transformaria o conjunto de teste em um conjunto de validação.
# 3. O autolog abre execuções filhas só para os 5 candidatos mais bem classificados; as
#    pontuações de todos os candidatos continuam no artefato `cv_results.csv` da execução pai.
# 4. A busca avalia com `neg_mean_squared_error`, então `score` devolve um MSE negativo. O
#    autolog sabe que a variável se chamava `X_test`, mas não que ela contém as casas de
#    teste, nem que a escolha foi feita por CV.
# 5. O amostrador dele (aqui o TPE) propõe valores perto das tentativas que se saíram bem até
#    agora, em intervalos contínuos; uma grade testa todas as combinações listadas,
#    independentemente dos resultados.

# %% [markdown]
# Próxima: **03 · Modelos Spark**, as mesmas ideias com o Spark MLlib.
