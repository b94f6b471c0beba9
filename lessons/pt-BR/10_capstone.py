# %% [markdown]
# # 10 · Projeto final, parte 1: da busca a um campeão documentado
#
# Hora de usar tudo. Com os preços de casas, você vai construir a vida de um modelo: uma
# busca de hiperparâmetros rastreada, um campeão no registro de modelos (Model Registry), um
# modelo servido via REST e um fluxo (flow) do Prefect que retreina e promove só quando o
# novo modelo é melhor. Esta parte faz os dois primeiros dos quatro marcos (milestones): a
# busca e o campeão que ela deixa no registro de modelos; a parte 2 serve esse campeão e o
# retreina. Cada marco termina com uma verificação que lê de volta o estado do laboratório
# (aqui, o servidor de rastreamento e o registro de modelos); escreva seu código onde
# aparece `...`, execute a verificação e siga em frente quando ela passar. Cada marco tem
# uma dica; as soluções comentadas estão em `solutions/pt-BR/10_capstone.ipynb`.
#
# **Você vai aprender** a juntar as lições 01–05 sem receita: por que um modelo precisa de
# três conjuntos de casas (treinamento, validação, teste); uma busca rastreada como uma
# execução (run) pai com uma execução filha por candidato; o melhor modelo logado
# com um exemplo de entrada e requisitos fixados; uma versão registrada, documentada e
# nomeada `@champion`.
#
# **Tempo:** 40 minutos (cerca de 8 para ler, 1 para executar as células, 30 para os dois
# marcos: cerca de 20 para a busca, 10 para o campeão).
# **Pré-requisitos:** lições 01–07 (o que elas ensinam: o projeto final tem um experimento e
# um modelo próprios e não precisa de nenhuma das execuções delas).
#
# **No mapa** (lição 00): tudo, das execuções ao `@champion`.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% tags=["parameters"]
experiment_name = "capstone"
model_name = "capstone_precos"

# %% [markdown]
# ## Três conjuntos de casas, três funções
#
# - **treinamento**: a busca ajusta seus candidatos aqui e os compara por validação cruzada de 5
#   folds (5-fold) dentro dele;
# - **validação**: decide entre um campeão e um desafiante (o critério de promoção, ou
#   gate, do Marco 4);
# - **teste**: nenhuma decisão o vê; ele dá a pontuação do campeão final, uma única vez, no fim.
#
# Uma pontuação usada para escolher é otimista, porque a escolha favorece o que por acaso foi
# bem naquelas casas; só um conjunto mantido fora de todas as escolhas dá uma estimativa
# honesta.

# %%
import warnings

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV

# O MLflow salva modelos do scikit-learn com o skops, que se recusa a carregar tipos em que
# não foi instruído a confiar: os ensembles de árvores precisam que a classe da árvore seja
# informada.
TREE_TYPES = ["sklearn.tree._tree.Tree"]
# Os requisitos do modelo, fixados (lição 07): assim o `log_model` deixa de inferi-los em um
# novo processo Python, seu passo mais lento.
REQUIREMENTS = mlflow.sklearn.get_default_pip_requirements(include_skops=True)
# As colunas inteiras das casas fazem o `log_model` avisar que inteiros não comportam valores
# ausentes (lição 05). Estas casas não têm nenhum, e as casas servidas também são inteiras:
# silencie o aviso.
warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")

X_train, X_validation, X_test, y_train, y_validation, y_test = lab_utils.split_train_validation_test()
client = MlflowClient()
experiment = mlflow.set_experiment(experiment_name)


def validation_rmse(model) -> float:
    return float(np.sqrt(mean_squared_error(y_validation, model.predict(X_validation))))


# %% [markdown]
# A marca a superar: um "modelo" que prevê, para toda casa, o preço médio das casas de
# treinamento.

# %% tags=["nbval-check-output"]
baseline_rmse = float(np.sqrt(mean_squared_error(y_validation, np.full(len(y_validation), y_train.mean()))))
print(f"casas: {len(X_train)} treinamento · {len(X_validation)} validação · {len(X_test)} teste")
print(f"RMSE de validação da linha de base (preço médio): {lab_utils.format_number(baseline_rmse)} CAD")

# %% [markdown]
# ## Marco 1 · Uma busca rastreada
#
# Faça uma busca com `GradientBoostingRegressor(random_state=42)` sobre `n_estimators` em
# `[50, 100]` e `max_depth` em `[2, 3]`, com validação cruzada de 5 folds em `X_train`.
# Rastreie-a como uma execução (run) pai chamada `capstone_search`, com uma execução filha
# aninhada por candidato (seus parâmetros e `cv_rmse`), e, na execução pai: os melhores
# parâmetros (como `n_estimators` e `max_depth`, ou `best_n_estimators` e `best_max_depth`
# como na lição 02), o melhor modelo logado (logged model) como `model` (com um exemplo
# de entrada, `skops_trusted_types=TREE_TYPES` e `pip_requirements=REQUIREMENTS`) e o seu
# `validation_rmse` em `X_validation`.
# Coloque o id da execução pai em `search_run_id`.

# %% tags=["exercise"]
search_run_id = ...  # seu código aqui

# %% tags=["solution"]
search = GridSearchCV(GradientBoostingRegressor(random_state=42),
                      {"n_estimators": [50, 100], "max_depth": [2, 3]},
                      cv=5, scoring="neg_mean_squared_error")
with mlflow.start_run(run_name="capstone_search") as parent:
    search.fit(X_train, y_train)
    for i, candidate in enumerate(search.cv_results_["params"]):
        with mlflow.start_run(run_name=f"gbr_{i}", nested=True):
            mlflow.log_params(candidate)
            mlflow.log_metric("cv_rmse", float(np.sqrt(-search.cv_results_["mean_test_score"][i])))
    mlflow.log_params(search.best_params_)
    mlflow.log_metric("validation_rmse", validation_rmse(search.best_estimator_))
    mlflow.sklearn.log_model(search.best_estimator_, name="model", input_example=X_train.head(3),
                             skops_trusted_types=TREE_TYPES, pip_requirements=REQUIREMENTS)
search_run_id = parent.info.run_id

# %% [markdown]
# <details><summary>Dica</summary>
#
# `GridSearchCV(..., cv=5, scoring="neg_mean_squared_error")`; dentro de
# `mlflow.start_run(run_name="capstone_search")`, um `mlflow.start_run(nested=True)` por
# entrada de `search.cv_results_["params"]` (`cv_rmse` é `sqrt(-mean_test_score[i])`),
# depois `mlflow.sklearn.log_model(search.best_estimator_, name="model", ...)`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(search_run_id, "Marco 1"):
    from lab_utils.grading import lesson_10
    lesson_10.check_milestone_1(search_run_id, experiment_name)

# %% [markdown]
# ## Marco 2 · Um campeão documentado
#
# Registre o modelo da busca como `capstone_precos`, dê à versão uma descrição que informe
# o seu RMSE de validação (o número, e que foi medido nas casas de validação) e aponte o alias `champion` para ela. Coloque o número
# da versão (uma string) em `champion_version`.

# %% tags=["exercise"]
champion_version = ...  # seu código aqui

# %% tags=["solution"]
search_model = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id],
                                           filter_string=f"source_run_id = '{search_run_id}'", output_format="list")[0]
registered = mlflow.register_model(search_model.model_uri, model_name)
rmse = client.get_run(search_run_id).data.metrics["validation_rmse"]
client.update_model_version(model_name, registered.version,
                            description=f"Gradient boosting de capstone_search; RMSE de validação {lab_utils.format_number(rmse)} CAD")
client.set_registered_model_alias(model_name, "champion", registered.version)
champion_version = registered.version

# %% [markdown]
# <details><summary>Dica</summary>
#
# `mlflow.register_model(<o model_uri do modelo logado>, model_name)` (encontre-o
# com `mlflow.search_logged_models(..., filter_string="source_run_id = '...'")`), depois
# `client.update_model_version(..., description=...)` e
# `client.set_registered_model_alias(model_name, "champion", version)`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(champion_version, "Marco 2"):
    from lab_utils.grading import lesson_10
    lesson_10.check_milestone_2(champion_version, search_run_id, model_name)

# %% [markdown]
# ## Resumo
#
# - Três conjuntos de casas, três funções: treinamento para ajustar (e para a validação
#   cruzada de uma busca), validação para escolher entre modelos, teste para informar uma
#   única vez, depois de todas as escolhas.
# - Uma busca é uma execução pai com uma execução filha aninhada por candidato; a pai guarda
#   os melhores parâmetros, o melhor modelo e a sua pontuação de validação.
# - `mlflow.search_logged_models(filter_string="source_run_id = '...'")` encontra o modelo
#   que uma execução logou; `register_model` faz dele uma versão,
#   `update_model_version` o documenta, e um alias (`@champion`) nomeia a versão a usar.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Rastreamento (Tracking)](https://mlflow.org/docs/latest/ml/tracking/)
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/) — versões, aliases,
#   descrições
# - [Busca de modelos logados (searching logged models)](https://mlflow.org/docs/latest/ml/search/search-models)
#
# ## Verifique o que aprendeu
#
# 1. A busca escolheu seus parâmetros por validação cruzada nas casas de treinamento. Por que o
#    campeão também recebe um RMSE de validação, em outras casas?
# 2. Por que a busca cria uma execução filha aninhada por candidato, em vez de uma
#    execução independente para cada um?
# 3. A parte 2 carrega `models:/capstone_precos@champion`, e não `models:/capstone_precos/1`.
#    O que o alias poupa ao código que carrega o modelo quando chega uma versão melhor?
# 4. Que servidor a verificação de cada marco lê, e o que um aluno poderia forjar se uma
#    verificação comparasse apenas variáveis locais?

# %% [markdown] tags=["solution"]
# 1. A validação cruzada escolheu entre os candidatos da busca, então a pontuação dela é
#    otimista para o candidato escolhido; o RMSE de validação compara o campeão com os
#    desafiantes posteriores (o critério de promoção da parte 2) em casas nas quais nenhum
#    modelo foi ajustado nem escolhido.
# 2. As filhas ficam sob a execução pai: a UI as agrupa nela, e
#    `tags.mlflow.parentRunId = '...'` encontra todos os candidatos de uma busca (a
#    verificação do Marco 1 faz isso), de modo que duas buscas nunca se misturam num
#    experimento.
# 3. Qualquer mudança: o código continua carregando `@champion` enquanto o registro de
#    modelos move o alias para a nova versão (o fluxo da parte 2 faz isso), e movê-lo de
#    volta desfaz uma promoção.
# 4. 1: o servidor de rastreamento (as execuções, as filhas, o modelo logado); 2: o
#    registro de modelos (a versão, a descrição dela, o alias). Comparando com variáveis
#    locais, um aluno poderia digitar os valores esperados (um id de execução, um número de
#    versão) sem fazer o trabalho.

# %% [markdown]
# Próxima: **10 · Projeto final, parte 2: servido, retreinado, promovido** — o campeão via REST,
# depois desafiado e promovido por um fluxo do Prefect.
